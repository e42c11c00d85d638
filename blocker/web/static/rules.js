// Rules editor: keep the line-number gutter in step with the text, and jump to a
// line from the problem list. Without JavaScript the page still works: the server
// renders the gutter and sizes the textarea to the text.
(function () {
  "use strict";
  var area = document.getElementById("rules-text");
  var gutter = document.getElementById("gutter");
  if (!area || !gutter) return;
  var editor = area.parentElement;

  function lineCount() {
    return area.value.split("\n").length;
  }

  function sync() {
    var n = lineCount();
    var have = gutter.children.length;
    for (var i = have + 1; i <= n; i++) {
      var li = document.createElement("li");
      li.id = "L" + i;
      li.setAttribute("data-line", String(i));
      li.textContent = String(i);
      gutter.appendChild(li);
    }
    while (gutter.children.length > Math.max(n, 1)) gutter.removeChild(gutter.lastChild);
    area.rows = n + 1;
    editor.style.setProperty("--lines", String(n));
  }

  function selectLine(line) {
    var lines = area.value.split("\n");
    var start = 0;
    for (var i = 0; i < line - 1 && i < lines.length; i++) start += lines[i].length + 1;
    var end = start + (lines[line - 1] || "").length;
    area.focus({ preventScroll: true });
    area.setSelectionRange(start, end);
  }

  // After an edit the marked line numbers may point at other lines: drop the marks
  // (the problem list stays, and saving checks everything again).
  function clearMarks() {
    var marks = document.querySelector(".marks");
    if (marks) marks.hidden = true;
    gutter.querySelectorAll("li.err").forEach(function (li) { li.classList.remove("err"); });
  }

  area.addEventListener("input", sync);
  area.addEventListener("input", clearMarks, { once: true });
  document.querySelectorAll("a.goto").forEach(function (link) {
    link.addEventListener("click", function (event) {
      var line = parseInt(link.getAttribute("data-line"), 10);
      var target = document.getElementById("L" + line);
      event.preventDefault();
      selectLine(line);
      if (target) target.scrollIntoView({ block: "center" });
      history.replaceState(null, "", "#L" + line);
    });
  });
  sync();
})();
