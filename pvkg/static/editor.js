/*
 * pvkg's SPARQL query editor: YASGUI (vendored in vendor/yasgui/, see its VERSION) on this server's endpoint.
 *
 * The page loads vendor/yasgui/yasgui.min.css and vendor/yasgui/yasgui.min.js, then this script, and has an
 * element with id "yasgui". Optional attributes of <body>:
 *   data-endpoint  the SPARQL endpoint (default "/sparql", resolved against the page's URL)
 *   data-query     the query the editor opens with (default: SELECT ?s ?p ?o WHERE { ?s ?p ?o } LIMIT 10)
 * The YASGUI instance is window.yasgui (tests drive it: window.yasgui.getTab().setQuery(...)).
 *
 * The editor needs no network beyond this server. What YASGUI 4.6 (@zazuko/yasgui) would contact by itself,
 * and the setting below that stops it:
 *   - requestConfig.endpoint: YASGUI's default endpoint is https://dbpedia.org/sparql. Here it is a function
 *     returning this server's endpoint: YASGUI evaluates function-valued request settings on every query and
 *     lets them win over the tab's own value, so an endpoint typed into the endpoint field, or carried by a
 *     shared link, is never queried. The field is made read-only (and its clear button hidden) too.
 *   - endpointCatalogueOptions.getData: the default catalogue suggests dbpedia.org and query.wikidata.org in
 *     the endpoint field; here it is empty.
 *   - yasqe autocompleters: "class" and "property" ask the Linked Open Vocabularies API (lov.linkeddata.es)
 *     as you type a class or a property. They are unregistered (Yasgui.Yasqe.Autocompleters) and left out of
 *     the default list. Kept, both local: "variables" (the query's own variables) and "prefixes" (the prefix
 *     list bundled in yasgui.min.js).
 *   - yasqe.prefixCcApi: null, so prefix autocompletion uses that bundled list and never fetches prefix.cc
 *     (null is also the package's default; set here so an upgrade that changes it is caught).
 *   - corsProxy: undefined: with a CORS proxy YASGUI sends an ASK probe to every endpoint chosen and routes
 *     queries through the proxy.
 *   - persistenceId: null: nothing is kept in localStorage, so every load starts from data-query and no tab,
 *     endpoint or result saved by an earlier page (or test) comes back.
 *   - populateFromUrl: false: YASGUI would otherwise build a tab from the page's URL parameters (query,
 *     endpoint...), run it at once, and give that tab an endpoint of its own, which setEndpoint can then point
 *     elsewhere. The server reads ?query= itself and passes it in data-query.
 * Left as they are because they make no request by themselves: links to the documentation (docs.triply.cc)
 * in the results pane, followed only when clicked; createShortLink, unset, so no URL shortener is offered.
 * The stylesheet loads no fonts or images (icons are inline SVG), and the bundle has no analytics.
 *
 * What this script changes in how YASGUI shows things:
 *   - a literal in a result cell shows its value as written ("1", not "1"^^xsd:integer), its language as a small
 *     note after it, its datatype as the cell's title (formatLiteral of YASR's table plugin); IRIs stay links;
 *   - the query editor, the endpoint field and the table's page-size menu get accessible names (YASGUI leaves
 *     the first and the last without one, and the endpoint field with only its title).
 * tests/test_page_checks.py lists what axe-core still finds in YASGUI's own markup.
 */
(function () {
  "use strict";

  var DEFAULT_QUERY = "SELECT ?s ?p ?o WHERE { ?s ?p ?o } LIMIT 10";
  var LOCAL_COMPLETERS = ["variables", "prefixes"];
  var REMOTE_COMPLETERS = ["class", "property"];
  var XSD_STRING = "http://www.w3.org/2001/XMLSchema#string";

  function escapeHtml(text) {
    return String(text).replace(/[&<>"']/g, function (c) {
      return "&#" + c.charCodeAt(0) + ";";
    });
  }

  // A datatype by its prefixed name where the answer's prefixes (prefix -> namespace) give one, else its IRI.
  function shortName(iri, prefixes) {
    for (var prefix in prefixes || {}) {
      var namespace = prefixes[prefix];
      if (namespace && iri.indexOf(namespace) === 0) return prefix + ":" + iri.slice(namespace.length);
    }
    return iri;
  }

  // YASR's table plugin calls this for each literal cell, with the answer's prefixes; it returns HTML.
  function literalHtml(binding, prefixes) {
    var value = escapeHtml(binding.value);
    var language = binding["xml:lang"];
    if (language) {
      return '<span lang="' + escapeHtml(language) + '">' + value + '</span> <small class="literal-language">' +
        escapeHtml(language) + "</small>";
    }
    if (binding.datatype && binding.datatype !== XSD_STRING) {
      return '<span class="typed-literal" title="' + escapeHtml(shortName(binding.datatype, prefixes)) + '">' +
        value + "</span>";
    }
    return value;
  }

  function nameControls(root) {
    var sizers = root.querySelectorAll(".yasr select.tableSizer:not([aria-label])");
    for (var i = 0; i < sizers.length; i++) sizers[i].setAttribute("aria-label", "Rows per page");
  }

  function endpointFieldsReadOnly(root, endpoint) {
    var fields = root.querySelectorAll(".controlbar .autocompleteWrapper input");
    for (var i = 0; i < fields.length; i++) {
      fields[i].readOnly = true;
      fields[i].value = endpoint;
      fields[i].title = "This editor queries " + endpoint;
      fields[i].setAttribute("aria-label", "SPARQL endpoint");
    }
    var clearButtons = root.querySelectorAll(".controlbar .clearEndpointBtn");
    for (var j = 0; j < clearButtons.length; j++) {
      clearButtons[j].disabled = true;
      clearButtons[j].style.display = "none";
    }
  }

  function start() {
    var root = document.getElementById("yasgui");
    if (!root) return;
    var Yasgui = window.Yasgui;
    if (typeof Yasgui !== "function") {
      root.textContent = "The query editor could not load (vendor/yasgui/yasgui.min.js).";
      return;
    }
    var data = document.body.dataset;
    var endpoint = new URL(data.endpoint || "/sparql", document.baseURI).href;
    var query = data.query || DEFAULT_QUERY;

    // YASGUI deep-merges its configuration with lodash's merge, which merges arrays index by index: a shorter
    // autocompleters list in the configuration would not remove the remote ones, so change the defaults.
    REMOTE_COMPLETERS.forEach(function (name) {
      delete Yasgui.Yasqe.Autocompleters[name];
    });
    Yasgui.Yasqe.defaults.autocompleters = LOCAL_COMPLETERS.slice();
    Yasgui.defaults.yasqe.autocompleters = LOCAL_COMPLETERS.slice();
    Yasgui.Yasr.plugins.table.prototype.formatLiteral = literalHtml;

    var yasgui = new Yasgui(root, {
      requestConfig: {
        endpoint: function () {
          return endpoint;
        },
        method: "POST",
      },
      endpointCatalogueOptions: {
        getData: function () {
          return [];
        },
      },
      corsProxy: undefined,
      persistenceId: null,
      populateFromUrl: false,
      yasqe: {
        value: query,
        prefixCcApi: null,
        screenReaderLabel: "SPARQL query", // CodeMirror's aria-label for its text input
      },
    });

    endpointFieldsReadOnly(root, endpoint);
    ["tabAdd", "tabSelect", "tabChange"].forEach(function (event) {
      yasgui.on(event, function () {
        // The tab draws its control bar after the event.
        setTimeout(function () {
          endpointFieldsReadOnly(root, endpoint);
        }, 0);
      });
    });
    // YASR draws its table controls anew with every answer
    new MutationObserver(function () {
      nameControls(root);
    }).observe(root, { childList: true, subtree: true });
    window.yasgui = yasgui;
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
