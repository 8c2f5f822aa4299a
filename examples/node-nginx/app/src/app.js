document.getElementById("greeting").textContent += ` (${new Date().getFullYear()})`;
