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
from collections import defaultdict
from collections.abc import Iterable

from rdflib import RDF, RDFS, XSD, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, PROV
from rdflib.term import Node

from .describe import DATASET, fixed_description
from .errors import UsageError
from .export import Triple, TurtleWriter, prefix_map
from .namespaces import BASE, PVKG

NP = Namespace("http://www.nanopub.org/nschema#")
NPX = Namespace("http://purl.org/nanopub/x/")
BIBO = Namespace("http://purl.org/ontology/bibo/")
NANOPUB_BASE = BASE + "np/"
_DATE_TIME = re.compile(r"^-?\d{4,}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)?$")
MAX_TRIPLES = 1200  # the nanopublication servers refuse larger ones
# what the provenance graph says of a study, so that a nanopublication can be read on its own
STUDY_DESCRIPTION = (DCTERMS.bibliographicCitation, DCTERMS.title, DCTERMS.issued, BIBO.doi)


def nanopublications(triples: Iterable[Triple], created: str | None = None
                     ) -> list[tuple[URIRef, list[tuple[URIRef, list[Triple]]]]]:
    """(nanopublication IRI, [(graph name, triples) for head, assertion, provenance, pubinfo]) for every
    finding, sorted by the finding's IRI."""
    by_subject: dict[Node, list[Triple]] = defaultdict(list)
    findings = []
    for triple in triples:
        by_subject[triple[0]].append(triple)
        if triple[1] == RDF.type and triple[2] == PVKG.Finding:
            findings.append(triple[0])
    dataset = fixed_description()
    licence = next(dataset.objects(DATASET, DCTERMS.license))
    creator = next(dataset.objects(DATASET, DCTERMS.creator))
    if created is not None and not _DATE_TIME.match(created):
        raise UsageError(f"--created {created!r} is not an xsd:dateTime; write e.g. 2026-11-24T09:30:00Z")
    result = []
    for finding in sorted(findings):
        own = by_subject[finding]
        ident = next((str(o) for _, p, o in own if p == DCTERMS.identifier), str(finding).rsplit("/", 1)[-1])
        this = URIRef(NANOPUB_BASE + ident)
        head, assertion, provenance, pubinfo = (URIRef(f"{this}/{part}")
                                                for part in ("Head", "assertion", "provenance", "pubinfo"))
        studies = sorted(o for _, p, o in own if p == PVKG.reportedIn)
        prov = [(assertion, PROV.wasDerivedFrom, s) for s in studies]
        prov += [t for s in studies for t in by_subject[s] if t[1] in STUDY_DESCRIPTION]
        info = [(this, DCTERMS.license, licence), (this, DCTERMS.creator, creator),
                (this, RDFS.label, Literal(f"pvkg finding {ident}")), (this, NPX.introduces, finding),
                (this, DCTERMS.isPartOf, DATASET)]
        if created:
            info.append((this, DCTERMS.created, Literal(created, datatype=XSD.dateTime, normalize=False)))
        graphs = [(head, [(this, RDF.type, NP.Nanopublication), (this, NP.hasAssertion, assertion),
                          (this, NP.hasProvenance, provenance), (this, NP.hasPublicationInfo, pubinfo)]),
                  (assertion, own), (provenance, prov), (pubinfo, info)]
        result.append((this, graphs))
    return result


def nanopub_bytes(triples: Iterable[Triple], created: str | None = None) -> bytes:
    """Every finding's nanopublication, one after the other, in one TriG document."""
    prefixes = prefix_map() | {"np": str(NP), "npx": str(NPX)}
    graphs = [g for _, parts in nanopublications(triples, created) for g in parts]
    return TurtleWriter(prefixes).serialize_graphs(graphs)
