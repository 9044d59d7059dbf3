"""`pvkg serve`, one area of the server: the canned queries: the API (whole or paged answers, OpenAPI), the question
pages, and the comparison of studies."""

from __future__ import annotations

import asyncio
import contextlib
import urllib.parse

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from pvkg._namespaces import finding_iri, work_iri
from pvkg._publish import pages
from pvkg._query import compare
from pvkg._serve.answerfiles import StoredAnswer
from pvkg._serve.http import (
    MAX_COMPARED,
    PAGE_ROWS,
    PAGING,
    AnswerFileResponse,
    Window,
    bound_canned_text,
    negotiate,
    openapi_document,
    retry_headers,
    text_type,
)
from pvkg._serve.workers import QueryFailure
from pvkg._sparql.queries import (
    CannedQuery,
    QueryError,
    UnknownConceptError,
    asking_study,
    canned_text,
    check_columns,
    concept_lookups,
)
from pvkg._sparql.results import render
from pvkg.errors import PvkgError


class CannedQueries:
    """The canned queries: the API (whole or paged answers, OpenAPI), the question pages, and the comparison of
    studies. A part of PvkgServer (pvkg/_serve/app.py), whose state and plumbing it uses."""

    def _canned(self, name: str) -> CannedQuery | None:
        return self.queries.get(name)

    async def _answer(self, query: CannedQuery, given: dict[str, str]) -> StoredAnswer:
        """The canned query's stored answer; QueryError for wrong parameters, UnknownConceptError for a concept the
        graph does not hold (asked of the graph, like check_concepts), QueryFailure from the workers."""
        text = bound_canned_text(query, tuple(sorted(given.items())))
        for lookup in concept_lookups(query, given):
            if not (await self.select(lookup.found_text)).rows:
                raise lookup.error((await self.select(lookup.names_text)).rows)
        assert self.answers is not None, "the application has started"
        label = query.name + (f"?{urllib.parse.urlencode(sorted(given.items()))}" if given else "")
        answer = await self.answers.get(text, label, self.settings.timeout, query.order)
        check_columns(query, list(answer.columns))
        return answer

    def _query_description(self, query: CannedQuery) -> dict:
        return {
            "name": query.name, "title": query.title, "question": query.question, "asked_by": query.asked_by,
            "description": query.description, "columns": list(query.columns),
            "parameters": [{"name": p.name, "type": p.type, "default": p.default, "description": p.description}
                           for p in query.parameters],
            "api": f"/api/queries/{query.name}", "page": f"/queries/{query.name}",
        }

    async def api_list(self, request: Request) -> Response:
        return JSONResponse({"queries": [self._query_description(q) for q in self.queries.values()]})

    async def api_query(self, request: Request) -> Response:
        """A canned query's answer: whole (sent from its file as it is read), or the page `?limit=&offset=` asks
        for, with `Link` headers to the first, previous, next and last pages; `X-Total-Count` says how many
        rows the whole answer has. An answer of more than --max-rows rows is too long for one response: without
        `limit` and `offset`, its first page of --max-rows rows is sent."""
        query = self._canned(request.path_params["name"])
        if query is None:
            return JSONResponse({"error": f"no query {request.path_params['name']!r}; see /api/queries"},
                                status_code=404)
        given = {k: v for k, v in request.query_params.items() if k != "format" and k not in PAGING}
        try:
            window = Window.asked(request, default_limit=None, max_limit=self.settings.max_rows)
            answer = await self._answer(query, given)
        except QueryFailure as e:
            return JSONResponse({"error": str(e)}, status_code=e.status, headers=retry_headers(e))
        except UnknownConceptError as e:  # the graph holds no such concept
            return JSONResponse({"error": str(e), "suggestions": e.suggestions}, status_code=404)
        except PvkgError as e:  # wrong parameters
            return JSONResponse({"error": str(e)}, status_code=400)
        media_type = negotiate(request, ["application/sparql-results+json", "application/json", "text/csv"])
        form = "csv" if media_type == "text/csv" else "json"
        headers = {"Vary": "Accept", "X-Total-Count": str(answer.rows)}
        if window is None and answer.rows <= self.settings.max_rows:
            return AnswerFileResponse(answer.path(form), media_type=text_type(media_type), headers=headers)
        window = window or Window(offset=0, limit=self.settings.max_rows)  # too long for one response: paged
        body = await asyncio.to_thread(answer.page, form, window.offset, window.limit)
        links = window.links(request, answer.rows)
        headers["Link"] = ", ".join(f'<{self.settings.url(request.url.path)}?{target}>; rel="{rel}"'
                                    for rel, target in links.items())
        return Response(body, media_type=text_type(media_type), headers=headers)

    async def query_page(self, request: Request) -> Response:
        query = self._canned(request.path_params["name"])
        if query is None:
            return self.error_page(404, f"There is no query named {request.path_params['name']!r}.")
        given = {k: v for k, v in request.query_params.items() if v != "" and k not in PAGING}
        values = {p.name: given.get(p.name, p.default or "") for p in query.parameters}
        answer, rows, window, error, status, retry = None, [], None, None, 200, {}
        missing = [p.name for p in query.parameters if p.default is None and p.name not in given]
        if not missing:
            try:
                window = Window.asked(request, default_limit=PAGE_ROWS, max_limit=self.settings.max_rows)
                answer = await self._answer(query, given)
                rows = await asyncio.to_thread(answer.page_rows, window.offset, window.limit)
            except QueryFailure as e:
                error, status, retry = str(e), e.status, retry_headers(e)
            except UnknownConceptError as e:
                error, status = str(e), 404
            except PvkgError as e:
                error, status = str(e), 400
        asked_by = await self._asked_by(query)
        link_params = urllib.parse.urlencode({k: v for k, v in values.items() if v})
        editor = urllib.parse.urlencode({"query": canned_text(query, values) if not missing and not error
                                         else query.text})
        page_links = {rel: f"/queries/{query.name}?{target}" for rel, target in
                      window.links(request, answer.rows).items()} if answer is not None and window is not None else {}
        csv_params = urllib.parse.urlencode({**values, "format": "csv"})
        response = self.page("query.html", code=status, title=query.title, query=query, asked_by=asked_by,
                             values=values, answer=answer, rows=rows, window=window, page_links=page_links,
                             max_rows=self.settings.max_rows,
                             error=error, editor_query=editor, api_path=f"/api/queries/{query.name}?{link_params}",
                             csv_path=f"/api/queries/{query.name}?{csv_params}")
        response.headers.update(retry)
        return response

    async def _asked_by(self, query: CannedQuery) -> str:
        """The label of the study that asked the query's question, else the header's text (also when the label
        cannot be looked up in time: it is not worth failing a page for)."""
        study = asking_study(query)
        if study is not None:
            with contextlib.suppress(QueryFailure):
                return (await self._labels([str(study)])).of(str(study)) or str(query.asked_by)
        return str(query.asked_by or "")

    def openapi(self, request: Request) -> Response:
        return JSONResponse(openapi_document(self.queries, self.settings.max_rows))

    async def compare_page(self, request: Request) -> Response:
        """Studies side by side (pvkg/_query/compare.py): `?study=` once per study, in the order given, with a form to
        pick them from every study of the graph; `?format=csv` sends the comparison as CSV. An id the graph
        does not hold is a 404 naming the nearest ids, with the form to pick again."""
        ids = list(dict.fromkeys(study for study in request.query_params.getlist("study") if study))
        lang = request.query_params.get("lang") or "en"
        studies, comparison, error, status = [], None, None, 200
        try:
            if len(ids) > MAX_COMPARED:  # each study is two queries on the workers
                raise QueryError(f"a page compares at most {MAX_COMPARED} studies, not {len(ids)}; "
                                 "`pvkg compare` takes any number")
            listing = await self.select(compare.listing_text(lang))
            studies = compare.study_list((listing.columns, listing.rows))
            chosen = compare.chosen_studies(ids, studies)
            texts = compare.study_queries(chosen, lang)
            answers = await asyncio.gather(*(self.select(text) for text in texts.values()))
            comparison = compare.comparison(chosen, {key: (answer.columns, answer.rows)
                                                     for key, answer in zip(texts, answers, strict=True)})
        except QueryFailure as e:
            return self.error_page(e.status, str(e))
        except compare.UnknownStudyError as e:
            error, status = " ".join(e.lines()), 404
        except PvkgError as e:  # a malformed lang
            error, status = str(e), 400
        if comparison is not None and request.query_params.get("format") == "csv":
            return Response(render(comparison.table(), "csv"), media_type=text_type("text/csv"),
                            headers={"Content-Disposition": 'attachment; filename="pvkg-comparison.csv"'})
        chosen_ids = [s.id for s in comparison.studies] if comparison is not None else ids
        csv_path = "/compare?" + urllib.parse.urlencode([*(("study", i) for i in chosen_ids),
                                                         *([("lang", lang)] if lang != "en" else []),
                                                         ("format", "csv")])
        return self.page("compare.html", code=status, title="Compare studies", studies=studies,
                         chosen=set(chosen_ids), comparison=comparison, error=error, csv_path=csv_path,
                         lang=lang, work_path=lambda study: pages.local_path(str(work_iri(study))),
                         finding_path=lambda finding: pages.local_path(str(finding_iri(finding))))
