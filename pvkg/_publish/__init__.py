"""What pvkg writes for others: every export format, nanopublications, the ontology's documentation, the evidence
report, a release, publishing to a SPARQL server; and the HTML views of resources the server and the pages share."""
