"""Skosmos-compatible REST subset (being written)."""

from flask import Blueprint

blueprint = Blueprint("skosmos", __name__)
