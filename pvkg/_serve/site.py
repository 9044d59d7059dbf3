"""`pvkg serve`, one area of the server: the start page, the query editor, the documentation and report written beside
the graph, and the graph's downloads."""

from __future__ import annotations

import asyncio
import hashlib
from pathlib import Path

from rdflib import SKOS, Graph
from starlette.requests import Request
from starlette.responses import FileResponse, Response

from pvkg._files import PAGE_FOLDERS, write_atomic
from pvkg._namespaces import BASE, ONTOLOGY_IRI, PVKG
from pvkg._publish.export import GRAPH_FORMATS
from pvkg._serve.http import (
    DOWNLOADS,
    EDITOR_QUERY,
    Facts,
    text_type,
)
from pvkg._serve.workers import QueryFailure


class SitePages:
    """The start page, the query editor, the documentation and report written beside the graph, and the graph's
    downloads. A part of PvkgServer (pvkg/_serve/app.py), whose state and plumbing it uses."""

    async def facts(self) -> Facts:
        if self._facts is None:
            prefixes = (f"PREFIX pvkg: <{PVKG._NS}> PREFIX skos: <{SKOS}> PREFIX owl: <http://www.w3.org/2002/07/owl#> "
                        f"PREFIX dcterms: <http://purl.org/dc/terms/> ")
            counts = {}
            for key, pattern in (("studies", "?x a pvkg:Study"), ("findings", "?x a pvkg:Finding"),
                                 ("concepts", f"?x a skos:Concept FILTER(STRSTARTS(STR(?x), \"{BASE}\"))"),
                                 ("triples", "?x ?p ?o")):  # concepts: pvkg's own, as the build counts them
                distinct = "" if key == "triples" else "DISTINCT "
                counts[key] = await self._count(f"{prefixes}SELECT (COUNT({distinct}?x) AS ?n) WHERE {{ {pattern} }}")
            about = (await self.select(
                f"{prefixes}SELECT ?version ?license WHERE {{ <{ONTOLOGY_IRI}> owl:versionInfo ?version "
                f"OPTIONAL {{ <{ONTOLOGY_IRI}> dcterms:license ?license }} }} ORDER BY ?version ?license LIMIT 1")).rows
            version, license_ = (str(t) if t is not None else None for t in about[0]) if about else (None, None)
            self._facts = Facts(version=version, license=license_, **counts)
        return self._facts

    async def home(self, request: Request) -> Response:
        try:
            facts = await self.facts()
        except QueryFailure as e:
            return self.error_page(e.status, str(e))
        questions = sorted((q for q in self.queries.values() if q.question), key=lambda q: (q.answer or 99, q.name))
        others = [q for q in self.queries.values() if not q.question]
        described = [{"name": q.name, "title": q.title, "question": q.question, "asked_by": await self._asked_by(q)}
                     for q in questions]
        downloads = [{"path": f"/download/pvkg.{ext}", "label": GRAPH_FORMATS[name][2]}
                     for ext, name in DOWNLOADS.items()] if self.built is not None else []
        written = [folder for folder in PAGE_FOLDERS
                   if self.built is not None and (self.built.parent / folder / "index.html").is_file()]
        return self.page("home.html", title="pvkg", facts=facts, questions=described, others=others,
                         downloads=downloads, written=written)

    def written_pages(self, folder: str):
        """An endpoint serving the files of a folder of pages beside the built graph (index.html for the
        folder itself), found when asked for, so that pages written while the server runs are served too."""

        async def endpoint(request: Request) -> Response:
            root = self.built.parent / folder if self.built is not None else None
            relative = request.path_params["path"] or "index.html"
            # no file name pvkg writes holds a control character, and a NUL cannot reach the file system
            named = root is not None and not any(ord(c) < 0x20 or c == "\x7f" for c in relative)
            target = (root / relative).resolve() if named else None
            if target is None or not target.is_file() or not target.is_relative_to(root.resolve()):
                return self.error_page(404, f"Nothing here: run pvkg {folder} to write the {folder} beside the "
                                            "graph.")
            return FileResponse(target)

        return endpoint

    async def editor(self, request: Request) -> Response:
        return self.page("editor.html", title="Query editor", query=request.query_params.get("query", EDITOR_QUERY),
                         timeout=f"{self.settings.timeout:g}", max_rows=f"{self.settings.max_rows:,}")

    async def download(self, request: Request) -> Response:
        extension = request.path_params["extension"]
        if self.built is None or extension not in DOWNLOADS:
            return self.error_page(404, "No such download here.")
        media_type = GRAPH_FORMATS[DOWNLOADS[extension]][0]
        if extension == "ttl":
            path = self.built
        else:
            path = await self._converted(self.built, extension, media_type)
        return FileResponse(path, media_type=text_type(media_type), filename=f"pvkg.{extension}")

    async def _converted(self, built: Path, extension: str, media_type: str) -> Path:
        """The built graph in another format, written once into the server's cache; the conversions of an
        earlier graph or base URL are removed then, so that the cache holds one file per format."""
        assert self.cache_dir is not None
        context = hashlib.sha256(self.settings.url("context.jsonld").encode()).hexdigest()[:12]
        version = f"{built.stat().st_mtime_ns}-{context}"
        target = self.cache_dir / "downloads" / f"{version}.{extension}"
        async with self._downloads_lock:
            if not target.is_file():
                def convert() -> None:
                    triples = list(Graph().parse(built, format="turtle"))
                    write_atomic(target, self._graph_bytes(media_type, triples))
                    for old in target.parent.glob(f"*.{extension}"):
                        if old != target:
                            old.unlink(missing_ok=True)
                await asyncio.to_thread(convert)
        return target
