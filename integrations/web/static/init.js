// Starts GOV.UK Frontend's components (service navigation menu, skip link) once the page loads.
import { initAll } from "./govuk-frontend.min.js";

document.body.classList.add("govuk-frontend-supported");
initAll();
