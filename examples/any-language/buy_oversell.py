"""A purchase as an application writes it: read the stock, check it, then write.

oversold runs this once per buyer, with DATABASE_URL pointing at the buyer's
gate and the request as one JSON line on stdin; the last line printed is the
outcome. Between the SELECT and the UPDATE another buyer can sell the last unit.
"""
import json
import os
import sys

import psycopg2

request = json.loads(sys.stdin.readline())
connection = psycopg2.connect(os.environ["DATABASE_URL"])
with connection:  # BEGIN … COMMIT (ROLLBACK on an exception)
    with connection.cursor() as cursor:
        cursor.execute("SELECT remaining FROM events WHERE event_id = %s", (request["eventId"],))
        (remaining,) = cursor.fetchone()
        if remaining < request["quantity"]:
            outcome = "sold-out"
        else:
            cursor.execute(
                "UPDATE events SET remaining = %s WHERE event_id = %s",
                (remaining - request["quantity"], request["eventId"]),
            )
            cursor.execute(
                "INSERT INTO tickets (event_id, buyer_id, quantity) VALUES (%s, %s, %s)",
                (request["eventId"], request["buyerId"], request["quantity"]),
            )
            outcome = "purchased"
connection.close()
print(outcome)
