/* Keyboard shortcuts of the case page (shown in the decision panel):
   n next case · c claim · a approve · r request information ·
   j / k next / previous document · y accept the focused document.
   The page works without this file; every shortcut presses a visible control. */
(function () {
  "use strict";

  function documents() {
    // Current documents only: superseded ones sit folded inside <details class="superseded">.
    return Array.prototype.filter.call(
      document.querySelectorAll("article[data-document]"),
      function (card) { return !card.closest("details.superseded"); }
    );
  }

  var focused = -1;

  function focusDocument(step) {
    var cards = documents();
    if (!cards.length) return;
    focused = Math.max(0, Math.min(cards.length - 1, focused + step));
    cards.forEach(function (card, index) {
      card.classList.toggle("is-focused", index === focused);
    });
    cards[focused].focus({ preventScroll: true });
    cards[focused].scrollIntoView({ block: "start" });
  }

  function focusedDocument() {
    var cards = documents();
    var active = document.activeElement && document.activeElement.closest("article[data-document]");
    if (active) return active;
    return focused >= 0 ? cards[focused] : null;
  }

  function acceptFocused() {
    var card = focusedDocument();
    if (!card) return;
    var form = card.querySelector("form.doc-decide");
    if (!form) return;
    var accept = form.querySelector('input[name="decision"][value="accept"]');
    if (!accept) return;
    accept.checked = true;
    if (form.requestSubmit) form.requestSubmit(); else form.submit();
  }

  function openPanel(key) {
    var button = document.querySelector('[data-shortcut="' + key + '"]');
    if (!button) return;
    var details = button.closest("details");
    if (!details) {
      button.focus();
      return;
    }
    details.open = true;
    var first = details.querySelector("textarea, input:not([type=hidden]), select");
    (first || button).focus();
    details.scrollIntoView({ block: "nearest" });
  }

  function press(key) {
    var button = document.querySelector('[data-shortcut="' + key + '"]');
    if (button) button.click();
  }

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    if (event.target.closest("input, textarea, select, [contenteditable]")) return;
    var handlers = {
      n: function () { press("n"); },
      c: function () { press("c"); },
      a: function () { openPanel("a"); },
      r: function () { openPanel("r"); },
      j: function () { focusDocument(1); },
      k: function () { focusDocument(-1); },
      y: acceptFocused,
    };
    var handler = handlers[event.key];
    if (!handler) return;
    event.preventDefault();
    handler();
  });
})();
