/*
 * A colleague's case: replying to it, resolving or closing it asks first. The case panel names the colleague
 * (data-colleague, their id) and the actions that need the question; the answer goes with the request as
 * confirm_other, and the server records it on the case (backoffice/cases/services.py confirm_acting_for). The server
 * asks again by refusing when the case changed hands after the page was drawn.
 */
(function () {
  "use strict";

  function actionOf(path) {
    var parts = (path || "").split("?")[0].split("/").filter(Boolean);
    return parts[parts.length - 1] || "";
  }

  document.addEventListener("htmx:confirm", function (event) {
    var panel = document.querySelector("#case-panel[data-colleague]");
    var detail = event.detail;
    if (!panel || !detail || detail.verb !== "post" || !panel.contains(detail.elt)) return;
    var actions = (panel.getAttribute("data-confirm-actions") || "").split(" ");
    if (actions.indexOf(actionOf(detail.path)) < 0) return;
    event.preventDefault();
    // One question: the colleague's case first, then the element's own (e.g. "close without a resolution?").
    var question = panel.getAttribute("data-confirm-text");
    if (detail.question) question += "\n\n" + detail.question;
    if (!window.confirm(question)) return;
    detail.elt.setAttribute("data-confirmed-for", panel.getAttribute("data-colleague"));
    detail.issueRequest(true);
  });

  document.addEventListener("htmx:configRequest", function (event) {
    var elt = event.detail.elt;
    if (!elt || !elt.hasAttribute("data-confirmed-for")) return;
    event.detail.parameters.confirm_other = elt.getAttribute("data-confirmed-for");
    elt.removeAttribute("data-confirmed-for");
  });
})();
