"""How pvkg speaks SPARQL, below the stages that ask: query text (tokens, bound values, comments), the query files
with their `#+` headers (canned queries and quality checks), the stores that answer them (embedded Oxigraph,
rdflib, any SPARQL 1.1 endpoint), and the result formats."""
