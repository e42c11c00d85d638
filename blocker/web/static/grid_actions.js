// Drag a block to move it: the drop fills the block's own "Move to…" form (day and
// start, in 15-minute steps) and sends it, so dragging and the keyboard take one path
// (POST /grid/move, CSRF token included). Without this script the form still works.
(function () {
  "use strict";

  var week = document.querySelector(".week[data-first-hour]");
  if (!week) return;
  var firstHour = Number(week.dataset.firstHour);
  var hours = Number(week.dataset.hours);
  var STEP = 15;
  var grabbed = null; // {form, offsetY}

  function pad(n) { return (n < 10 ? "0" : "") + n; }

  document.querySelectorAll("form.move-form").forEach(function (form) {
    var block = form.closest("details.ev");
    if (!block) return;
    block.setAttribute("draggable", "true");
    block.classList.add("movable");
    block.addEventListener("dragstart", function (e) {
      var box = block.getBoundingClientRect();
      grabbed = { form: form, offsetY: e.clientY - box.top };
      e.dataTransfer.effectAllowed = "move";
      e.dataTransfer.setData("text/plain", form.dataset.key);
      block.classList.add("dragging");
    });
    block.addEventListener("dragend", function () {
      block.classList.remove("dragging");
    });
  });

  document.querySelectorAll("section.day[data-date] .day-body").forEach(function (body) {
    var day = body.closest("section.day").dataset.date;
    body.addEventListener("dragover", function (e) {
      if (!grabbed) return;
      e.preventDefault();
      e.dataTransfer.dropEffect = "move";
    });
    body.addEventListener("drop", function (e) {
      if (!grabbed) return;
      e.preventDefault();
      var box = body.getBoundingClientRect();
      var y = e.clientY - box.top - grabbed.offsetY;
      var minutes = firstHour * 60 + (y / box.height) * hours * 60;
      minutes = Math.max(0, Math.min(24 * 60 - STEP, Math.round(minutes / STEP) * STEP));
      var form = grabbed.form;
      grabbed = null;
      form.querySelector("select[name=day]").value = day;
      form.querySelector("input[name=at]").value = pad(Math.floor(minutes / 60)) + ":" + pad(minutes % 60);
      form.requestSubmit();
    });
  });
})();
