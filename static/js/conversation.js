/*
 * The case page opens at the newest timeline entry, just above the pinned reply box, and follows new entries (the
 * live page adds them) while the agent is at the bottom; an agent reading further up is left where they are.
 */
(function () {
  "use strict";

  var NEAR_BOTTOM_PX = 160;

  function replyBoxHeight() {
    var box = document.querySelector(".case-main > .reply-box");
    return box ? box.getBoundingClientRect().height : 0;
  }

  function newest() {
    var entries = document.querySelectorAll("#timeline > .event");
    return entries.length ? entries[entries.length - 1] : null;
  }

  function measure() {
    document.documentElement.style.setProperty("--reply-box-h", Math.round(replyBoxHeight()) + "px");
  }

  function nearBottom() {
    var last = newest();
    if (!last) return false;
    var bottom = last.getBoundingClientRect().bottom;
    return bottom <= window.innerHeight - replyBoxHeight() + NEAR_BOTTOM_PX;
  }

  function showNewest() {
    var last = newest();
    if (last) last.scrollIntoView({ block: "end" });
  }

  var follow = true;

  function watch() {
    var list = document.getElementById("timeline");
    if (!list || list.hasAttribute("data-watched")) return;
    list.setAttribute("data-watched", "");
    new MutationObserver(function () {
      if (follow) showNewest();
    }).observe(list, { childList: true });
    // The reply box grows when its quick phrases arrive or a long reply is typed: the newest entry stays above it.
    var box = document.querySelector(".case-main > .reply-box");
    if (box && window.ResizeObserver) {
      new ResizeObserver(function () {
        measure();
        if (follow) showNewest();
      }).observe(box);
    }
  }

  window.addEventListener(
    "scroll",
    function () {
      follow = nearBottom();
    },
    { passive: true }
  );

  function open(inPlace) {
    if (!document.getElementById("timeline")) return;
    measure();
    // A reload keeps the reader's place (the browser restores it); a new visit opens at the newest entry.
    var navigation = performance.getEntriesByType && performance.getEntriesByType("navigation")[0];
    if (inPlace === true || !navigation || navigation.type !== "reload") showNewest();
    watch();
  }

  // The pinned reply box grows with what is typed (up to its CSS max-height), so the agent sees the whole reply.
  document.addEventListener("input", function (event) {
    var box = event.target;
    if (!box || box.id !== "reply-body") return;
    box.style.height = "auto";
    box.style.height = box.scrollHeight + 2 + "px";
    measure();
  });

  document.addEventListener("DOMContentLoaded", open);
  // An action draws the case panel again: measure the reply box again and keep the newest entry in view.
  document.addEventListener("htmx:afterSwap", function (event) {
    var target = event.detail.target;
    if (!target) return;
    if (target.id === "case-panel") {
      measure();
      showNewest();
      watch();
    } else if (target.id === "desk-main") {
      follow = true;
      open(true); // a queue row opened its case in place
    }
  });
  window.addEventListener("resize", measure);
})();
