"""The ingest pipeline: sources → field mapping → normalisation → images → archive → index."""
