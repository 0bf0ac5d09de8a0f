"""Routing: presence and capacity, rules, the queue, assignment, business hours and SLA clocks."""
