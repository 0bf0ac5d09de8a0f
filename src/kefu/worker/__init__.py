"""Background work of a node: scheduled jobs that call actions like any other caller."""
