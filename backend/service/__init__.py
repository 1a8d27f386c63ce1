"""Service of documents: party links, receipts, statements, the public-notice board."""
