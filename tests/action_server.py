#!/usr/bin/env python3
"""A small action server speaking Rasa's action-server protocol, for tests and the examples.

POST /webhook with {"next_action", "sender_id", "tracker", "domain"} answers
{"events": [...], "responses": [...]}. Actions:
  action_check_order   looks up the order_id slot (or entity) in a fixed table
  validate_<form>      accepts every slot candidate; rejects a `name` of "nobody" (sets it to null)
  action_fail          answers HTTP 500
  action_reject        answers HTTP 400 (Rasa's ActionExecutionRejection)
  action_hang          never answers within the caller's timeout (sleeps 30 s)
Usage: action_server.py [--port N]   (0 = any free port; the port is printed on the first line)
"""
import json
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ORDERS = {"12345": "shipped", "777": "delivered", "4242": "being prepared"}


def check_order(tracker):
    order = tracker.get("slots", {}).get("order_id")
    for ent in tracker.get("latest_message", {}).get("entities", []):
        if ent.get("entity") == "order_id":
            order = ent.get("value")
    if not order:
        return {"events": [], "responses": [{"text": "Which order? Please give me the order number."}]}
    status = ORDERS.get(str(order))
    if status is None:
        return {"events": [{"event": "slot", "name": "order_status", "value": None}],
                "responses": [{"text": f"I could not find order {order}."}]}
    return {"events": [{"event": "slot", "timestamp": None, "name": "order_status", "value": status}],
            "responses": [{"text": f"Order {order} is {status}."}]}


def validate(tracker, form):
    events = []
    slots = tracker.get("slots", {})
    if slots.get("name") == "nobody":
        events.append({"event": "slot", "name": "name", "value": None})
        return {"events": events, "responses": [{"text": "That is not a name I can use."}]}
    return {"events": events, "responses": []}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def answer(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        self.answer(200, {"status": "ok"})

    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        try:
            req = json.loads(self.rfile.read(length) or b"{}")
        except ValueError:
            return self.answer(400, {"error": "bad json"})
        action = req.get("next_action", "")
        tracker = req.get("tracker", {})
        if action == "action_check_order":
            return self.answer(200, check_order(tracker))
        if action.startswith("validate_"):
            return self.answer(200, validate(tracker, action[len("validate_"):]))
        if action == "action_fail":
            return self.answer(500, {"error": "boom"})
        if action == "action_reject":
            return self.answer(400, {"error": "rejected", "action_name": action})
        if action == "action_hang":
            time.sleep(30)
            return self.answer(200, {"events": [], "responses": []})
        return self.answer(404, {"error": f"No registered action found for name '{action}'.",
                                 "action_name": action})


def main():
    port = 5055
    if "--port" in sys.argv:
        port = int(sys.argv[sys.argv.index("--port") + 1])
    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    server.daemon_threads = True
    print(server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
