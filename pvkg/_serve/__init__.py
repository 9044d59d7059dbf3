"""`pvkg serve`: the Starlette application, the query workers it runs SPARQL in, the canned answers it keeps on
disk, and the caching headers it sends."""
