"""The chat domain: identifiers, validation and frames. Pure code: no I/O, no AWS."""
