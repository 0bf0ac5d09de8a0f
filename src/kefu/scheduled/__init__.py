"""Scheduled messages: an agent's reply written now and sent later (e.g. tomorrow 09:00 in the
customer's timezone) by the worker, cancelable until it goes. See docs/surveys.md."""
