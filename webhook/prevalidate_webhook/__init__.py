"""prevalidate's ValidatingAdmissionWebhook: the same checks for every notebook pod created in
the cluster, by whatever route (a second hub, ``kubectl apply``, BinderHub, a batch job).

A THIN front end over ``prevalidate.service.ValidationService`` — the one the hub and
``prevalidate check`` call, over the same watch-fed ``LiveCluster`` and ``RegistryClient``.
No decision is made here; this package only reads AdmissionReviews (``review``), answers
within a time budget and fails open (``reviewer``), serves HTTPS with rotating certificates
(``server``, ``tls``), writes certificates for clusters without cert-manager (``certs``) and
wires it together for ``prevalidate webhook serve`` (``app``, ``cli``).
"""

from .review import Review, UnusableReview, read_review
from .reviewer import Reviewer

__all__ = ["Review", "Reviewer", "UnusableReview", "read_review"]
