"""The SPARQL 1.1 Service Description of the endpoint: what it speaks and what its data set holds."""

from __future__ import annotations

from rdflib import RDF, BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, VOID

SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
FORMATS = Namespace("http://www.w3.org/ns/formats/")
RESULT_FORMATS = (
    "SPARQL_Results_JSON",
    "SPARQL_Results_XML",
    "SPARQL_Results_CSV",
    "SPARQL_Results_TSV",
    "Turtle",
    "N-Triples",
    "JSON-LD",
    "RDF_XML",
)


def service_description(
    endpoint: str, graph_name: str, triples: int, published: tuple[str, ...] = ()
) -> Graph:
    """The description of the endpoint at ``endpoint``; its default graph is ``graph_name``, and its named
    graphs ``published``, each source's figures as published."""
    graph = Graph()
    graph.bind("sd", SD)
    graph.bind("void", VOID)
    graph.bind("dcterms", DCTERMS)
    service = URIRef(endpoint)
    dataset, default_graph = BNode(), BNode()
    graph.add((service, RDF.type, SD.Service))
    graph.add((service, SD.endpoint, service))
    graph.add((service, SD.supportedLanguage, SD.SPARQL11Query))
    for name in RESULT_FORMATS:
        graph.add((service, SD.resultFormat, FORMATS[name]))
    graph.add((service, SD.defaultDataset, dataset))
    graph.add((dataset, RDF.type, SD.Dataset))
    graph.add((dataset, SD.defaultGraph, default_graph))
    graph.add((default_graph, RDF.type, SD.Graph))
    graph.add((default_graph, VOID.triples, Literal(triples)))
    graph.add((default_graph, DCTERMS.identifier, Literal(graph_name)))
    for name in published:
        named = BNode()
        graph.add((dataset, SD.namedGraph, named))
        graph.add((named, RDF.type, SD.NamedGraph))
        graph.add((named, SD.name, URIRef(name)))
    graph.add((default_graph, DCTERMS.title, Literal("MAPPA knowledge base", lang="en")))
    graph.add(
        (
            default_graph,
            DCTERMS.description,
            Literal(
                "The default graph is the knowledge base (its dcterms:identifier names it): the MAPPA "
                "ontology (offender categories, management levels, restrictive orders, agencies, roles, the "
                "law), the 42 MAPPA areas, the SKOS glossary, and every area's yearly statistics as an RDF "
                "Data Cube with one headline figure per cell and its provenance. Each named graph holds one "
                "source's figures exactly as it published them: GRAPH ?source { ... } reads them. "
                "default-graph-uri and named-graph-uri may name graphs; other IRIs are empty graphs, never "
                "fetched. Updates, SERVICE and FROM are refused; queries have a time and a result-size "
                "limit.",
                lang="en",
            ),
        )
    )
    return graph
