"""The knowledge: what the knowledge base says, read and built for people and programs.

It owns the RDF Data Cube builder every reader feeds (``cube``), the headline layer that picks one
figure per cell from every source (``headline``, with the precedence of ``sources``), MAPPA's areas
(``areas``), the glossary (``glossary``), any resource described for its page (``resources``), the
statistics tables (``statistics``), the SVG charts (``charts``), the tidy CSV export (``export``), the
fixed queries (``queries``, .rq files with bound values only) and the example queries (``examples``).
It asks the engine's store interface for data and never knows which engine answers.
"""
