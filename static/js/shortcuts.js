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

  // After `y`, the place is kept: the decision is posted in the background, the decided
  // card and the decision panel are swapped for the server's fresh copies, and focus moves
  // to the next document still undecided in this case. Without fetch (or on a network
  // error) the form is submitted as before.
  function swap(fresh, selector) {
    var mine = document.querySelector(selector);
    var theirs = fresh.querySelector(selector);
    if (mine && theirs) mine.replaceWith(theirs);
    return theirs;
  }

  function nextUndecided(afterId) {
    var cards = documents();
    var start = cards.findIndex(function (c) { return c.getAttribute("data-document") === afterId; });
    var ordered = cards.slice(start + 1).concat(cards.slice(0, Math.max(start, 0)));
    return ordered.find(function (c) { return c.hasAttribute("data-undecided"); }) || null;
  }

  function focusCard(card) {
    var cards = documents();
    focused = cards.indexOf(card);
    cards.forEach(function (c) { c.classList.toggle("is-focused", c === card); });
    card.focus({ preventScroll: true });
    card.scrollIntoView({ block: "start" });
  }

  function showMessage(fresh) {
    var messages = fresh.querySelector(".messages");
    var current = document.querySelector(".messages");
    if (messages && current) current.replaceWith(messages);
    else if (messages) {
      var main = document.querySelector("main") || document.body;
      main.insertBefore(messages, main.firstChild);
    }
  }

  function acceptFocused() {
    // One decision at a time: a second y while the first is on its way waits for the move.
    if (document.querySelector("article[data-document][aria-busy]")) return;
    var card = focusedDocument();
    if (!card) return;
    var form = card.querySelector("form.doc-decide");
    if (!form) return;
    var accept = form.querySelector('input[name="decision"][value="accept"]');
    if (!accept) return;
    accept.checked = true;
    if (!window.fetch || !window.DOMParser) {
      if (form.requestSubmit) form.requestSubmit(); else form.submit();
      return;
    }
    var id = card.getAttribute("data-document");
    card.setAttribute("aria-busy", "true");
    fetch(form.action, {
      method: "POST",
      body: new FormData(form),
      credentials: "same-origin",
      headers: { "X-Requested-With": "fetch" },
    }).then(function (response) {
      card.removeAttribute("aria-busy");
      return response.text().then(function (html) {
        var fresh = new DOMParser().parseFromString(html, "text/html");
        var newCard = swap(fresh, "#document-" + id);
        // Only the approval's document blockers change in the decision panel: its forms (and
        // their validation) stay as they are.
        var blockers = document.getElementById("document-blockers");
        var freshBlockers = fresh.getElementById("document-blockers");
        if (blockers && freshBlockers) blockers.replaceWith(freshBlockers);
        else if (blockers) blockers.remove();
        swap(fresh, ".accept-clean");
        showMessage(fresh);
        if (!response.ok) {
          // Refused (a note is needed, the case moved on): stay here, on the field at fault.
          var current = document.getElementById("document-" + id);
          if (current) {
            focusCard(current);
            var field = current.querySelector(".has-error textarea, .has-error input, .has-error select");
            if (field) field.focus();
          }
          return;
        }
        var next = nextUndecided(id);
        focusCard(next || document.getElementById("document-" + id) || newCard);
      });
    }).catch(function () {
      form.submit();
    });
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
