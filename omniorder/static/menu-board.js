// The back office's Items board (templates/admin/menu.html). Without this script the page
// works with its ↑/↓ forms and its confirmation pages; with it:
// - each category and item gets a handle ⠿: drag it with the mouse (the handle is the drag
//   source, so the rename form's inputs keep their text selection), or focus it and press
//   Space/Enter to pick up, the arrow keys to move (an item moves on into the next or previous
//   category), Space/Enter to drop, Escape to cancel; every step is announced in the
//   aria-live region #board-status;
// - a drop sends the whole new order in ONE POST (admin.arrange_menu); a refusal (the menu
//   changed meanwhile: 409, a row gone: 404) is shown and announced;
// - "Delete" opens a <dialog> that posts the same form as the confirmation page.
(function () {
  "use strict";
  var board = document.querySelector(".menu-board");
  if (!board) { return; }
  var status = document.getElementById("board-status");
  var token = document.querySelector('meta[name="csrf-token"]').content;
  var held = null;
  var dragged = null;
  var relocating = false; // chromium blurs a focused handle whose row is moved: not a leave

  function relocate(move) {
    relocating = true;
    try { return move(); } finally { relocating = false; }
  }

  function announce(text) { status.textContent = text; }
  // A sentence the page wrote in its language (the board's data-say-* attributes), its
  // {slots} filled in: word order differs by language, so no sentence is glued here.
  function say(key, slots) {
    return board.dataset[key].replace(/\{(\w+)\}/g, function (slot, name) {
      return slots && name in slots ? slots[name] : slot;
    });
  }
  function lists() { return Array.prototype.slice.call(board.querySelectorAll("ul.board-items")); }
  function sections() {
    return Array.prototype.slice.call(
      board.querySelectorAll(".board-category:not(.board-uncategorised)"));
  }
  function rowOf(handle) { return handle.closest("[data-item]") || handle.closest(".board-category"); }
  function isItem(row) { return row.hasAttribute("data-item"); }
  function nameOf(row) {
    return (isItem(row) ? row.querySelector(".board-item-name") : row.querySelector("h3")).textContent;
  }
  function whereIs(row) {
    if (isItem(row)) {
      var list = row.parentNode;
      var rows = Array.prototype.slice.call(list.children);
      var home = list.closest(".board-category").querySelector("h3").textContent;
      return say("sayItemPlace", {position: rows.indexOf(row) + 1, count: rows.length, category: home});
    }
    var all = sections();
    return say("sayCategoryPlace", {position: all.indexOf(row) + 1, count: all.length});
  }

  function moveItem(row, step) {
    var list = row.parentNode;
    var all = lists();
    var index = all.indexOf(list);
    if (step < 0) {
      if (row.previousElementSibling) { list.insertBefore(row, row.previousElementSibling); return true; }
      if (index > 0) { all[index - 1].appendChild(row); return true; }
      return false;
    }
    if (row.nextElementSibling) { list.insertBefore(row, row.nextElementSibling.nextElementSibling); return true; }
    if (index < all.length - 1) { all[index + 1].insertBefore(row, all[index + 1].firstElementChild); return true; }
    return false;
  }
  function moveCategory(section, step) {
    var all = sections();
    var target = all.indexOf(section) + step;
    if (target < 0 || target >= all.length) { return false; }
    board.insertBefore(section, step < 0 ? all[target] : all[target].nextElementSibling);
    return true;
  }

  function showRefusal(text) {
    var notice = document.getElementById("board-refusal");
    if (!notice) {
      notice = document.createElement("p");
      notice.id = "board-refusal";
      notice.className = "notice";
      board.parentNode.insertBefore(notice, board);
    }
    notice.textContent = text + " ";
    var reload = document.createElement("a");
    reload.href = window.location.pathname;
    reload.textContent = say("sayReload");
    notice.appendChild(reload);
  }

  function save() {
    var body = new URLSearchParams();
    body.append("csrf_token", token);
    sections().forEach(function (section) { body.append("category", section.dataset.category); });
    lists().forEach(function (list) {
      Array.prototype.forEach.call(list.children, function (row) {
        body.append("item", list.dataset.category + "/" + row.dataset.item);
      });
    });
    board.setAttribute("aria-busy", "true");
    return fetch(board.dataset.orderUrl, {
      method: "POST", body: body, credentials: "same-origin",
      headers: {"X-CSRFToken": token, "Accept": "application/json"}
    }).then(function (response) {
      return response.json().then(function (answer) {
        announce(answer.message);
        if (!response.ok) { showRefusal(answer.message); }
      });
    }).catch(function () {
      announce(say("sayNotSaved"));
      showRefusal(say("sayNotSaved"));
    }).then(function () { board.removeAttribute("aria-busy"); });
  }

  // --- the keyboard ---------------------------------------------------------------------
  function pickUp(row, handle) {
    held = {row: row, handle: handle, parent: row.parentNode, next: row.nextElementSibling};
    row.classList.add("is-held");
    handle.setAttribute("aria-pressed", "true");
    announce(say("sayPickedUp", {name: nameOf(row), where: whereIs(row)}));
  }
  function letGo() {
    held.row.classList.remove("is-held");
    held.handle.setAttribute("aria-pressed", "false");
    held.handle.focus();
    held = null;
  }
  function drop() {
    var row = held.row;
    letGo();
    announce(say("sayDropped", {name: nameOf(row), where: whereIs(row)}));
    save();
  }
  function cancel() {
    var row = held.row;
    relocate(function () { held.parent.insertBefore(row, held.next); });
    letGo();
    announce(say("sayCancelled", {name: nameOf(row), where: whereIs(row)}));
  }

  board.querySelectorAll(".drag-handle").forEach(function (handle) {
    handle.hidden = false;
    handle.draggable = true; // the handle drags its row (a row's inputs keep their selection)
    handle.setAttribute("aria-pressed", "false");
  });
  board.addEventListener("keydown", function (event) {
    var handle = event.target.closest && event.target.closest(".drag-handle");
    if (!handle) { return; }
    var row = rowOf(handle);
    if (event.key === " " || event.key === "Enter") {
      event.preventDefault();
      if (held && held.row === row) { drop(); } else if (!held) { pickUp(row, handle); }
    } else if (held && held.row === row && /^Arrow(Up|Down|Left|Right)$/.test(event.key)) {
      event.preventDefault();
      var step = (event.key === "ArrowUp" || event.key === "ArrowLeft") ? -1 : 1;
      var moved = relocate(function () {
        return isItem(row) ? moveItem(row, step) : moveCategory(row, step);
      });
      handle.focus();
      announce(moved ? say("sayNowAt", {name: nameOf(row), where: whereIs(row)}) : say("sayStuck"));
    } else if (held && event.key === "Escape") {
      event.preventDefault();
      cancel();
    }
  });
  board.addEventListener("focusout", function (event) {
    if (held && !relocating && event.target === held.handle && !board.contains(event.relatedTarget)) {
      cancel();
    }
  });

  // --- the mouse ------------------------------------------------------------------------
  board.addEventListener("dragstart", function (event) {
    var handle = event.target.closest && event.target.closest(".drag-handle");
    if (!handle) { return; }
    dragged = rowOf(handle);
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", nameOf(dragged));
    event.dataTransfer.setDragImage(dragged, 16, 16);
    dragged.classList.add("is-held");
  });
  board.addEventListener("dragover", function (event) {
    if (!dragged) { return; }
    event.preventDefault();
    var over;
    if (isItem(dragged)) {
      over = event.target.closest("[data-item]");
      var section = event.target.closest(".board-category");
      var list = section && section.querySelector("ul.board-items");
      if (over && over !== dragged) {
        var box = over.getBoundingClientRect();
        over.parentNode.insertBefore(dragged, event.clientY < box.top + box.height / 2 ? over : over.nextElementSibling);
      } else if (!over && list && list !== dragged.parentNode) {
        list.appendChild(dragged);
      }
    } else {
      over = event.target.closest(".board-category:not(.board-uncategorised)");
      if (over && over !== dragged) {
        var rect = over.getBoundingClientRect();
        board.insertBefore(dragged, event.clientY < rect.top + rect.height / 2 ? over : over.nextElementSibling);
      }
    }
  });
  board.addEventListener("drop", function (event) { if (dragged) { event.preventDefault(); } });
  board.addEventListener("dragend", function () {
    if (!dragged) { return; }
    var row = dragged;
    dragged = null;
    row.classList.remove("is-held");
    announce(say("sayMoved", {name: nameOf(row), where: whereIs(row)}));
    save();
  });

  // --- deletes ask first, in a dialog -----------------------------------------------------
  var dialog = document.getElementById("confirm-delete");
  if (dialog && dialog.showModal) {
    document.addEventListener("click", function (event) {
      var link = event.target.closest && event.target.closest("[data-confirm-delete]");
      if (!link) { return; }
      event.preventDefault();
      dialog.querySelector("form").action = link.dataset.confirmDelete;
      var title = dialog.querySelector("[data-confirm-title]");
      title.textContent = title.dataset.confirmTitle.replace("{name}", function () { return link.dataset.label; });
      dialog.showModal();
    });
    dialog.querySelector("[data-close-dialog]").addEventListener("click", function () { dialog.close(); });
  }
}());
