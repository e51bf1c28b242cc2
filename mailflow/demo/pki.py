"""Certificates for signing letters in the demo (and the tests): a root CA, an intermediate CA,
and one certificate per head of an OPD, made with `cryptography`; signing with pyHanko (PAdES)
as a head would with the national BSrE certificate.

    pki = Pki.create(folder)                       # root -> intermediate
    hendra = pki.person("Drs. Hendra Gunawan, M.Si.", "kadis.dishub@bontangkota.go.id")
    signed = sign_pdf(pdf_bytes, hendra)           # an incremental PAdES signature
    pki.root_pem                                   # for signatures.trust_roots
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import fields, signers
from pyhanko_certvalidator.registry import SimpleCertificateStore

NOT_BEFORE = datetime(2024, 1, 1, tzinfo=UTC)
NOT_AFTER = datetime(2036, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Identity:
    name: str
    key: ec.EllipticCurvePrivateKey
    cert: x509.Certificate
    chain: tuple[x509.Certificate, ...] = ()  # issuers embedded in the signature

    def signer(self) -> signers.SimpleSigner:
        registry = SimpleCertificateStore.from_certs([_asn1_cert(c) for c in self.chain])  # type: ignore[no-untyped-call]
        return signers.SimpleSigner(
            signing_cert=_asn1_cert(self.cert), signing_key=_asn1_key(self.key), cert_registry=registry
        )


@dataclass
class Pki:
    root: Identity
    intermediate: Identity
    root_pem: Path
    people: dict[str, Identity] = field(default_factory=dict)

    @classmethod
    def create(cls, folder: Path, name: str = "Demo Root CA Kota Bontang") -> Pki:
        folder.mkdir(parents=True, exist_ok=True)
        root = issue(name, None, ca=True)
        intermediate = issue("Demo Intermediate CA Kota Bontang", root, ca=True)
        root_pem = folder / "root-ca.pem"
        root_pem.write_bytes(root.cert.public_bytes(serialization.Encoding.PEM))
        return cls(root, intermediate, root_pem)

    def person(self, name: str, email: str | None = None) -> Identity:
        """The certificate of `name` (issued once, by the intermediate CA)."""
        if name not in self.people:
            self.people[name] = issue(name, self.intermediate, email=email)
        return self.people[name]


def sign_pdf(pdf: bytes, who: Identity, *, field_name: str = "TandaTangan") -> bytes:
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
    meta = signers.PdfSignatureMetadata(field_name=field_name, subfilter=fields.SigSeedSubFilter.PADES)
    out = io.BytesIO()
    signers.sign_pdf(writer, meta, signer=who.signer(), output=out)
    return out.getvalue()


def issue(name: str, issuer: Identity | None, *, ca: bool = False, email: str | None = None) -> Identity:
    """A certificate for `name` signed by `issuer` (self-signed when None)."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer.cert.subject if issuer else subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(NOT_BEFORE)
        .not_valid_after(NOT_AFTER)
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .add_extension(_usage(ca), critical=True)
    )
    if email:
        builder = builder.add_extension(x509.SubjectAlternativeName([x509.RFC822Name(email)]), critical=False)
    cert = builder.sign(issuer.key if issuer else key, hashes.SHA256())
    chain = (issuer.cert, *issuer.chain) if issuer else ()
    return Identity(name, key, cert, chain)


def _usage(ca: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=True,
        content_commitment=not ca,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=ca,
        crl_sign=ca,
        encipher_only=False,
        decipher_only=False,
    )


def _asn1_cert(cert: x509.Certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))


def _asn1_key(key: ec.EllipticCurvePrivateKey) -> asn1_keys.PrivateKeyInfo:
    der = key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return asn1_keys.PrivateKeyInfo.load(der)
