// The query page: YASGUI on this endpoint, with the example queries as buttons. No remote calls:
// prefix and vocabulary autocompletion (which would contact other sites) is switched off.
(function () {
  "use strict";
  var examples = JSON.parse(document.getElementById("example-queries").textContent);
  var endpoint = window.location.origin + window.location.pathname;
  Yasgui.Yasqe.defaults.autocompleters = ["variables"];
  var yasgui = new Yasgui(document.getElementById("yasgui"), {
    requestConfig: { endpoint: endpoint, method: "POST" },
    copyEndpointOnNewTab: false,
    endpointCatalogueOptions: { getData: function () { return [{ endpoint: endpoint }]; } },
    persistenceId: null,
  });
  if (examples.length) {
    yasgui.getTab().setQuery(examples[0].text);
  }
  document.querySelectorAll("#examples button").forEach(function (button) {
    button.addEventListener("click", function () {
      var tab = yasgui.getTab();
      tab.setQuery(examples[Number(button.dataset.example)].text);
      tab.query();
    });
  });
  window.mappaYasgui = yasgui;
})();
