"""Stage 8 (output), dataset metadata: a VoID and DCAT description of what a build wrote.

The fixed part (title, description, licence, creator, keywords) is ontology/dataset.ttl; a build adds its
version, its counts (triples, entities, classes, properties, and per class and per property), the studies
it was made from, and one dcat:Distribution per file written, with media type, byte size and SHA-256.
The description is written as void.ttl beside the graph, by every build and again by a release, which
writes more files.
"""

from __future__ import annotations

import hashlib
import os
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

from rdflib import RDF, XSD, BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, OWL, VOID

from pvkg import _resources as resources
from pvkg._files import write_atomic
from pvkg._namespaces import BASE, PVKG
from pvkg._rdftext import Triple, TripleList, TurtleWriter, prefix_map
from pvkg._version import __version__

DATASET = URIRef(BASE + "id/dataset")
DESCRIPTION_FILE = "void.ttl"
SPDX = Namespace("http://spdx.org/rdf/terms#")
IANA = "https://www.iana.org/assignments/media-types/"
MEDIA_TYPES = {  # file name ending: (media type, what the file holds)
    ".nanopub.trig": ("application/trig", "every finding as a nanopublication, in TriG"),
    ".ttl": ("text/turtle", "Turtle"),
    ".nt": ("application/n-triples", "N-Triples"),
    ".jsonld": ("application/ld+json", "JSON-LD"),
    ".rdf": ("application/rdf+xml", "RDF/XML"),
    ".trig": ("application/trig", "TriG"),
}


def release_iri(name: str, version: str = __version__) -> URIRef:
    """Where a file of this version's release is to be downloaded from."""
    return URIRef(f"{BASE}release/{version}/{name}")


def media_type(name: str) -> tuple[str, str] | None:
    return next((v for ending, v in MEDIA_TYPES.items() if name.endswith(ending)), None)


def fixed_description() -> Graph:
    """The dataset's title, description, licence, creator... as ontology/dataset.ttl gives them."""
    return Graph().parse(resources.dataset_file(), format="turtle")


def dataset_description(triples: Iterable[Triple], files: dict[str, bytes | Path], version: str = __version__
                        ) -> Graph:
    """VoID + DCAT for a graph made of `triples` and published as `files` (name: content, or the file that
    holds it, read a piece at a time)."""
    graph = fixed_description()
    subjects: set = set()
    objects: set = set()
    classes: Counter = Counter()
    properties: Counter = Counter()
    studies: set = set()
    count = 0
    rdf_type, study_class = RDF.type, PVKG.Study  # made once: rdflib makes a namespace's term at each access
    for s, p, o in triples:
        count += 1
        subjects.add(s)
        objects.add(o)
        properties[p] += 1
        if p == rdf_type:
            classes[o] += 1
            if o == study_class:
                studies.add(s)
    space = BASE + "id/"
    add = graph.add
    add((DATASET, DCTERMS.hasVersion, Literal(version)))
    add((DATASET, OWL.versionInfo, Literal(version)))
    add((DATASET, URIRef(f"{DCAT}version"), Literal(version)))  # DCAT 3, which rdflib does not list
    for name, value in (("triples", count), ("entities", sum(1 for s in subjects if str(s).startswith(space))),
                        ("classes", len(classes)), ("properties", len(properties)),
                        ("distinctSubjects", len(subjects)), ("distinctObjects", len(objects))):
        add((DATASET, VOID[name], Literal(value, datatype=XSD.integer)))
    for study in studies:
        add((DATASET, DCTERMS.source, study))
    for term, number, kind, counted in [*((c, n, "class", "entities") for c, n in classes.items()),
                                        *((p, n, "property", "triples") for p, n in properties.items())]:
        partition = BNode()
        add((DATASET, VOID[f"{kind}Partition"], partition))
        add((partition, VOID[kind], term))
        add((partition, VOID[counted], Literal(number, datatype=XSD.integer)))
    for name in sorted(files):
        _add_distribution(graph, name, files[name], version)
    return graph


def _size_and_digest(data: bytes | Path) -> tuple[int, str]:
    """The byte size and SHA-256 of some content, or of a file's, read a piece at a time."""
    if isinstance(data, bytes):
        return len(data), hashlib.sha256(data).hexdigest()
    with open(data, "rb") as file:
        return os.fstat(file.fileno()).st_size, hashlib.file_digest(file, "sha256").hexdigest()


def _add_distribution(graph: Graph, name: str, data: bytes | Path, version: str) -> None:
    kind = media_type(name)
    if kind is None:
        return
    size, digest = _size_and_digest(data)
    mime, what = kind
    iri = release_iri(name, version)
    checksum = BNode()
    for triple in [(DATASET, DCAT.distribution, iri), (DATASET, VOID.dataDump, iri),
                   (iri, RDF.type, DCAT.Distribution),
                   (iri, DCTERMS.title, Literal(f"{name}: pvkg {version}, {what}", lang="en")),
                   (iri, DCAT.downloadURL, iri), (iri, DCAT.mediaType, URIRef(IANA + mime)),
                   (iri, DCTERMS.format, Literal(mime)), (iri, DCTERMS.license, _licence(graph)),
                   (iri, DCAT.byteSize, Literal(size, datatype=XSD.nonNegativeInteger)),
                   (iri, SPDX.checksum, checksum),
                   (checksum, SPDX.algorithm, SPDX.checksumAlgorithm_sha256),
                   (checksum, SPDX.checksumValue, Literal(digest, datatype=XSD.hexBinary))]:
        graph.add(triple)


def _licence(graph: Graph) -> URIRef:
    return next(graph.objects(DATASET, DCTERMS.license))


def description_bytes(graph: Graph) -> bytes:
    # Every blank node of the description (a partition, a checksum) is the object of one triple and is written in
    # place, never by its label: relabelling them from their content (0.8 s for a 100k-triple graph's) is not
    # needed for the same bytes.
    prefixes = prefix_map() | {"dcat": str(DCAT), "void": str(VOID), "spdx": str(SPDX)}
    return TurtleWriter(prefixes).serialize(TripleList(graph, relabel_blank_nodes=False))


def write_description(triples: Iterable[Triple], folder: Path, files: list[Path]) -> Path:
    """Describe `files` (in `folder`) as distributions of the dataset made of `triples`: folder/void.ttl."""
    target = folder / DESCRIPTION_FILE
    write_atomic(target, description_bytes(dataset_description(triples, {path.name: path for path in files})))
    return target
