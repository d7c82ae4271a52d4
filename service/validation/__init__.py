"""Validation: Turtle files and the shipped SHACL shapes in, a report grouped by rule out.

It owns the report and the files it checks (``validate``), the fast SHACL engine that runs every
constraint as one query on Oxigraph (``shacl_engine``; pySHACL is the reference it must agree with)
and the W3C RDF Data Cube well-formedness checks IC-1 to IC-21 (``qb_integrity``, SPARQL in ``qb_ic/``).
"""
