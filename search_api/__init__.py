"""The search side: query → fuse → present, and the HTTP API on top."""
