import java.io.File;
import java.util.HashMap;
import java.util.Map;
import javax.xml.XMLConstants;
import javax.xml.parsers.DocumentBuilderFactory;
import org.semanticweb.owlapi.apibinding.OWLManager;
import org.semanticweb.owlapi.formats.NTriplesDocumentFormat;
import org.semanticweb.owlapi.formats.RDFJsonLDDocumentFormat;
import org.semanticweb.owlapi.formats.RDFXMLDocumentFormat;
import org.semanticweb.owlapi.formats.TrigDocumentFormat;
import org.semanticweb.owlapi.formats.TurtleDocumentFormat;
import org.semanticweb.owlapi.io.FileDocumentSource;
import org.semanticweb.owlapi.model.IRI;
import org.semanticweb.owlapi.model.MissingImportHandlingStrategy;
import org.semanticweb.owlapi.model.OWLDocumentFormat;
import org.semanticweb.owlapi.model.OWLOntology;
import org.semanticweb.owlapi.model.OWLOntologyIRIMapper;
import org.semanticweb.owlapi.model.OWLOntologyLoaderConfiguration;
import org.semanticweb.owlapi.model.OWLOntologyManager;
import org.semanticweb.owlapi.model.parameters.Imports;
import org.semanticweb.owlapi.profiles.OWL2DLProfile;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

/**
 * Loads each file named on the command line with the OWL API, offline, into a manager of its own, and prints
 * one line per file: tab-separated key=value pairs (file, error or what was loaded, and how long it took).
 *
 * Imports resolve only through an OASIS catalog (catalog-v001.xml) beside the file, as Protégé resolves
 * them; any other import IRI is mapped to a location that does not exist, so a remote import fails
 * ("refused") instead of being fetched. The JVM is also run with an unreachable proxy (tests/owlapi.py).
 */
public final class OwlApiLoad {
    private static final String CATALOG = "catalog-v001.xml";
    private static final String CATALOG_NS = "urn:oasis:names:tc:entity:xmlns:xml:catalog";
    private static final String REFUSED = "file:/nonexistent/pvkg-refused-remote-import/";

    public static void main(String[] args) throws Exception {
        for (String name : args) {
            System.out.println(load(new File(name)));
        }
    }

    /** Import IRI -> local file, from the catalog beside the file (none when there is no catalog). */
    static Map<String, IRI> catalog(File folder) throws Exception {
        Map<String, IRI> mapping = new HashMap<>();
        File catalog = new File(folder, CATALOG);
        if (!catalog.isFile()) {
            return mapping;
        }
        DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
        factory.setNamespaceAware(true);
        factory.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
        factory.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
        NodeList entries = factory.newDocumentBuilder().parse(catalog).getElementsByTagNameNS(CATALOG_NS, "uri");
        for (int i = 0; i < entries.getLength(); i++) {
            Element entry = (Element) entries.item(i);
            File local = new File(folder, entry.getAttribute("uri"));
            mapping.put(entry.getAttribute("name"), IRI.create(local.getCanonicalFile()));
        }
        return mapping;
    }

    static OWLDocumentFormat format(File file) {
        String name = file.getName();
        if (name.endsWith(".rdf") || name.endsWith(".owl")) return new RDFXMLDocumentFormat();
        if (name.endsWith(".ttl")) return new TurtleDocumentFormat();
        if (name.endsWith(".nt")) return new NTriplesDocumentFormat();
        if (name.endsWith(".jsonld")) return new RDFJsonLDDocumentFormat();
        if (name.endsWith(".trig")) return new TrigDocumentFormat();
        throw new IllegalArgumentException(name + ": no OWL API format for this extension");
    }

    static String load(File file) throws Exception {
        Map<String, IRI> mapping = catalog(file.getAbsoluteFile().getParentFile());
        OWLOntologyManager manager = OWLManager.createOWLOntologyManager();
        manager.getIRIMappers().clear();
        OWLOntologyIRIMapper offline = iri -> mapping.getOrDefault(iri.toString(),
                IRI.create(REFUSED + java.net.URLEncoder.encode(iri.toString(), java.nio.charset.StandardCharsets.UTF_8)));
        manager.getIRIMappers().add(offline);
        OWLOntologyLoaderConfiguration config = manager.getOntologyLoaderConfiguration()
                .setMissingImportHandlingStrategy(MissingImportHandlingStrategy.THROW_EXCEPTION)
                .setReportStackTraces(false);
        StringBuilder line = new StringBuilder("file=").append(file.getPath());
        long started = System.nanoTime();
        OWLOntology ontology;
        try {
            ontology = manager.loadOntologyFromOntologyDocument(new FileDocumentSource(file, format(file)), config);
        } catch (Exception e) {
            String message = String.valueOf(e.getMessage()).strip().split("\\R", 2)[0];
            return line.append("\terror=").append(e.getClass().getSimpleName()).append(": ").append(message).toString();
        }
        long ms = (System.nanoTime() - started) / 1_000_000;
        OWLDocumentFormat loaded = manager.getOntologyFormat(ontology);
        long unparsed = loaded == null ? -1 : loaded.getOntologyLoaderMetaData()
                .map(meta -> meta.getUnparsedTriples().count()).orElse(-1L);
        line.append("\tontologies=").append(manager.ontologies().count())
            .append("\tiri=").append(ontology.getOntologyID().getOntologyIRI().map(IRI::toString).orElse(""))
            .append("\timports=").append(ontology.importsDeclarations().count())
            .append("\taxioms=").append(ontology.getAxiomCount(Imports.INCLUDED))
            .append("\tlogical_axioms=").append(ontology.getLogicalAxiomCount(Imports.INCLUDED))
            .append("\tclasses=").append(ontology.classesInSignature(Imports.INCLUDED).count())
            .append("\tindividuals=").append(ontology.individualsInSignature(Imports.INCLUDED).count())
            .append("\tunparsed_triples=").append(unparsed)
            .append("\tdl_violations=").append(new OWL2DLProfile().checkOntology(ontology).getViolations().size())
            .append("\tms=").append(ms);
        return line.toString();
    }
}
