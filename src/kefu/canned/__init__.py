"""Canned responses: personal and shared reply templates with a `/shortcut`."""
