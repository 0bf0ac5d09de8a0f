"""Tags: the catalogue (names and colours) and the tags on each conversation."""
