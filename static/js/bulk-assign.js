/*
 * Bulk assignment above a queue table (templates/supervisor/bulk_assign.html).
 *
 * Row clicks open the case; a click in the checkbox cell only ticks the box. The header box selects the page.
 * The count and the Assign button follow the ticked boxes, also after htmx redraws the table.
 */
(function () {
  "use strict";
  // Once per page, even if htmx brings the include back with a redrawn queue.
  if (window.backofficeBulkAssign) return;
  window.backofficeBulkAssign = true;

  function form() { return document.getElementById("bulk-assign-form"); }
  function boxes() { return Array.from(document.querySelectorAll("input[form='bulk-assign-form'][name='cases']")); }
  function refresh() {
    var bulk = form();
    if (!bulk) return;
    var n = boxes().filter(function (box) { return box.checked; }).length;
    bulk.querySelector("[data-selected-count]").textContent = n;
    bulk.querySelector("[data-bulk-submit]").disabled = n === 0;
  }
  document.addEventListener("click", function (event) {
    if (event.target.closest && event.target.closest(".select-cell")) event.stopPropagation();
  }, true);
  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target.matches && target.matches("input[data-select-all]")) {
      boxes().forEach(function (box) { if (!box.disabled) box.checked = target.checked; });
    }
    if (target.matches && target.matches("input[form='bulk-assign-form'], input[data-select-all]")) refresh();
  });
  document.addEventListener("htmx:afterSwap", refresh);
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", refresh);
  else refresh();
})();
