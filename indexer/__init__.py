"""The indexer: parse → segment → analyze/enrich → embed → store."""
