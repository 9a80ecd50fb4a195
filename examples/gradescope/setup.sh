#!/usr/bin/env bash
# Gradescope autograder: setup.sh. Gradescope runs it once, as root, when it
# builds the autograder's image (Ubuntu 22.04 by default), with the zip's
# contents in /autograder/source.
#
# The zip holds, at its root (zip the files, not their folder):
#   setup.sh, run_autograder  these two files
#   assignment.json           the assignment (see examples/grading/assignment.json),
#                             with its reference solution beside it
#   package.json              depends on oversold (the one in this folder)
#   package-lock.json         made by running `npm install` once beside package.json
#
# No PostgreSQL to install: oversold starts its embedded PostgreSQL, which
# comes from npm with it. As root, it runs that server as the OS user
# `postgres`, which it creates when missing.
set -euo pipefail

export DEBIAN_FRONTEND=noninteractive
apt-get update
# bubblewrap: oversold grade runs each student's code in a bubblewrap sandbox.
apt-get install -y --no-install-recommends ca-certificates curl gnupg bubblewrap

# Node.js 20 (Ubuntu 22.04's own nodejs is version 12): from NodeSource.
curl -fsSL https://deb.nodesource.com/setup_20.x | bash -
apt-get install -y --no-install-recommends nodejs
node --version

cd /autograder/source
if [ -f package-lock.json ]; then
  npm ci
else
  npm install
fi
# Download what grading needs now, not during a student's run: the check
# that the command works and the assignment loads.
npx oversold --version
