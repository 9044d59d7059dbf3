"""The build: study files -> a checked corpus -> RDF -> SHACL -> quality checks -> HermiT -> the graph file, with
what each stage keeps for the next build. Also the authoring aids that read study files alone (`pvkg new`,
`pvkg concepts`)."""
