/*
 * app.js: what the dashboard adds with JavaScript on. Pages work without
 * it; here every <time> is shown in the browser's time zone, and the
 * result chips of a running job follow dagzd's event feed (server-sent
 * events) without a reload: blue unfinished, yellow failed with a retry
 * to come, green passed, red failed for good, grey not run (the job
 * stopped early).
 */
"use strict";
(function () {
	/* Browsers keep 6 connections to a host: leave some for the pages. */
	var LIVE_MAX = 4;
	var FAILED = { FAILED: 1, TIMEOUT: 1, CRASHED: 1, DEP_FAILED: 1,
	    DAGZ_ERROR: 1 };

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

	/* The chip of test in box: its own, else an unfinished one. */
	function chip(box, test) {
		var all = box.querySelectorAll("span.chip"), c, i;

		for (i = 0; i < all.length; i++)
			if (all[i].getAttribute("data-test") === test)
				return all[i];
		for (i = 0; i < all.length; i++)
			if (!all[i].hasAttribute("data-test")) {
				all[i].setAttribute("data-test", test);
				return all[i];
			}
		c = document.createElement("span");
		c.setAttribute("data-test", test);
		box.appendChild(c);
		return c;
	}

	function result(box, r) {
		var c = chip(box, r.test), state;

		if (!r.final)
			state = "pending";
		else if (r.status === "NOT_RUN")
			state = "notrun";
		else
			state = FAILED[r.status] ? "failed" : "passed";
		c.className = "chip " + state;
		c.setAttribute("data-status", r.status);
		c.title = r.test + ": " + r.status +
		    (r.final ? "" : ", a retry follows");
	}

	function follow(box) {
		var es = new EventSource("/api/v1/events?job=" +
		    encodeURIComponent(box.getAttribute("data-job")));

		es.addEventListener("result", function (e) {
			result(box, JSON.parse(e.data));
		});
		es.addEventListener("end", function () {
			es.close();
		});
		es.addEventListener("reset", function () {
			es.close();
			window.location.reload();
		});
	}

	document.addEventListener("DOMContentLoaded", function () {
		var boxes = document.querySelectorAll("div.chips[data-job]");

		localise(document);
		if (typeof EventSource === "undefined")
			return;
		for (var i = 0; i < boxes.length && i < LIVE_MAX; i++)
			follow(boxes[i]);
	});
	window.dagz = { localise: localise };
})();
