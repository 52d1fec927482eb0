/*
 * app.js: what the dashboard adds with JavaScript on. Pages work without
 * it; here every <time> is shown in the browser's time zone.
 */
"use strict";
(function () {
	function localise(root) {
		var times = root.querySelectorAll("time[datetime]");
		for (var i = 0; i < times.length; i++) {
			var d = new Date(times[i].getAttribute("datetime"));
			if (!isNaN(d.getTime())) {
				times[i].title = times[i].textContent;
				times[i].textContent = d.toLocaleString();
			}
		}
	}
	document.addEventListener("DOMContentLoaded", function () {
		localise(document);
	});
	window.dagz = { localise: localise };
})();
