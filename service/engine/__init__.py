"""The engine: answering read-only SPARQL within limits, whatever holds the data.

It owns the store interface and its errors (``interface``), the guard every query passes
(``guard``: read-only, no fetching), the embedded Oxigraph store (``embedded``) with its versions and
swaps (``versions``), the worker processes that make a time limit real (``workers``, forked by
``forker``), the columnar accelerator for aggregates (``columnar``), the remote store over any SPARQL
1.1 server (``remote``), the Turtle loader (``loading``) and the command line's queries (``query``).
Nothing here knows about HTTP or Flask.
"""
