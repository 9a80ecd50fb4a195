"""The same purchase made safe: one guarded UPDATE decides, in one statement."""
import json
import os
import sys

import psycopg2

request = json.loads(sys.stdin.readline())
connection = psycopg2.connect(os.environ["DATABASE_URL"])
with connection:
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE events SET remaining = remaining - %s WHERE event_id = %s AND remaining >= %s",
            (request["quantity"], request["eventId"], request["quantity"]),
        )
        if cursor.rowcount == 0:
            outcome = "sold-out"
        else:
            cursor.execute(
                "INSERT INTO tickets (event_id, buyer_id, quantity) VALUES (%s, %s, %s)",
                (request["eventId"], request["buyerId"], request["quantity"]),
            )
            outcome = "purchased"
connection.close()
print(outcome)
