"""Stage 8 (output), nanopublications: every finding as a nanopublication, all of them in one TriG file.

Each nanopublication has the four named graphs of the nanopublication guidelines
(https://nanopub.net/guidelines/working_draft/):
- head: the nanopublication and its three parts;
- assertion: the finding as the build states it (its kind, what it is about, its direction or level,
  paraphrase, study and locator);
- provenance: the assertion is derived from the study, which is described by its citation and DOI;
- publication info: licence, creator, label, and the finding the nanopublication introduces.
They are unsigned. pvkg writes no creation time by default, so that the same graph gives the same bytes;
pass one (`created`) for a publication.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from rdflib import RDF, RDFS, XSD, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, PROV
from rdflib.term import Node

from pvkg._build.describe import DATASET, fixed_description
from pvkg._namespaces import BASE, PVKG
from pvkg._rdftext import Progress, Triple, TripleSource, TurtleWriter, as_source, no_progress, prefix_map
from pvkg.errors import UsageError

NP = Namespace("http://www.nanopub.org/nschema#")
NPX = Namespace("http://purl.org/nanopub/x/")
BIBO = Namespace("http://purl.org/ontology/bibo/")
NANOPUB_BASE = BASE + "np/"
_DATE_TIME = re.compile(r"^-?\d{4,}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)?$")
MAX_TRIPLES = 1200  # the nanopublication servers refuse larger ones
# what the provenance graph says of a study, so that a nanopublication can be read on its own
STUDY_DESCRIPTION = (DCTERMS.bibliographicCitation, DCTERMS.title, DCTERMS.issued, BIBO.doi)


def check_created(created: str | None) -> None:
    if created is not None and not _DATE_TIME.match(created):
        raise UsageError(f"--created {created!r} is not an xsd:dateTime; write e.g. 2026-11-24T09:30:00Z")


Nanopublication = tuple[URIRef, list[tuple[URIRef, list[Triple]]]]


def nanopublications(triples: TripleSource | Iterable[Triple], created: str | None = None,
                     progress: Progress = no_progress) -> Iterator[Nanopublication]:
    """(nanopublication IRI, [(graph name, triples) for head, assertion, provenance, pubinfo]) for every
    finding, sorted by the finding's IRI, one at a time; `progress` is told of each finding when it is done."""
    source = as_source(triples)
    check_created(created)
    dataset = fixed_description()
    licence = next(dataset.objects(DATASET, DCTERMS.license))
    creator = next(dataset.objects(DATASET, DCTERMS.creator))
    described: dict[Node, list[Triple]] = {}  # what the provenance says of each study, read once
    for finding in sorted(source.instances(PVKG.Finding)):
        own = source.about(finding)
        ident = next((str(o) for _, p, o in own if p == DCTERMS.identifier), str(finding).rsplit("/", 1)[-1])
        this = URIRef(NANOPUB_BASE + ident)
        head, assertion, provenance, pubinfo = (URIRef(f"{this}/{part}")
                                                for part in ("Head", "assertion", "provenance", "pubinfo"))
        studies = sorted(o for _, p, o in own if p == PVKG.reportedIn)
        for study in studies:
            if study not in described:
                described[study] = [t for t in source.about(study) if t[1] in STUDY_DESCRIPTION]
        prov = [(assertion, PROV.wasDerivedFrom, s) for s in studies]
        prov += [t for s in studies for t in described[s]]
        info = [(this, DCTERMS.license, licence), (this, DCTERMS.creator, creator),
                (this, RDFS.label, Literal(f"pvkg finding {ident}")), (this, NPX.introduces, finding),
                (this, DCTERMS.isPartOf, DATASET)]
        if created:
            info.append((this, DCTERMS.created, Literal(created, datatype=XSD.dateTime, normalize=False)))
        graphs = [(head, [(this, RDF.type, NP.Nanopublication), (this, NP.hasAssertion, assertion),
                          (this, NP.hasProvenance, provenance), (this, NP.hasPublicationInfo, pubinfo)]),
                  (assertion, own), (provenance, prov), (pubinfo, info)]
        yield this, graphs
        progress(1)


def nanopub_chunks(triples: TripleSource | Iterable[Triple], created: str | None = None,
                   progress: Progress = no_progress) -> Iterator[str]:
    """Every finding's nanopublication, one after the other, in one TriG document."""
    check_created(created)  # now, before the first piece is written
    prefixes = prefix_map() | {"np": str(NP), "npx": str(NPX)}
    graphs = (g for _, parts in nanopublications(triples, created, progress) for g in parts)
    return TurtleWriter(prefixes).graph_chunks(graphs)


def nanopub_bytes(triples: TripleSource | Iterable[Triple], created: str | None = None) -> bytes:
    return "".join(nanopub_chunks(triples, created)).encode("utf-8")
