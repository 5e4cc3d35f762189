"""The calculation layer: input models, one function per guideline equation, and the ledger.

Layers (each imports only those before it): ``units`` (registry, parsing, formatting) ->
``calc.factors`` (the cited factor library) -> ``calc.equations`` (pure equation functions) ->
``calc.models`` (strict input models) -> ``calc.project`` / ``calc.park`` (pipelines producing
the ledger of named figures, each with its derivation).
"""
