"""Search: Whoosh keyword index, FAISS vector index, embedders, bilingual glossary, hybrid ranking.

Derived from the archive and rebuildable from it at any time; never imports ingest/ or web/.
"""
