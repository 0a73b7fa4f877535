#!/usr/bin/python3
"""Drives a KMIP server with PyKMIP's ProxyKmipClient (Debian python3-pykmip 0.10) for the xUnit tests.

Usage:
    /usr/bin/python3 kmip_driver.py --host H --port P --cert client.pem --key client.key --ca ca.pem [--timeout S]

Reads a JSON array of steps on stdin, runs them in order over ONE client session, and prints one JSON array of
results on stdout. Exit code 0 even when steps fail. When the session cannot be had at all (refused connection,
TLS handshake refused), it prints {"connectError": "...", "tls": true|false} and exits with 2.

A step is {"op": NAME, ...arguments}; bytes are base64 in both directions. A string argument "$N.field" (or
"$N.field[i]") is the value `field` of result N, so a later step can use the uid an earlier one returned.
A result is {"ok": true, ...values} or {"ok": false, "status": "OPERATION_FAILED", "reason": "PERMISSION_DENIED",
"message": "..."}, where status and reason are PyKMIP's ResultStatus and ResultReason names. A connection lost
after the session worked gives {"ok": false, "status": "CONNECTION_LOST", ...} and every later step is
{"ok": false, "status": "NOT_RUN"}. A step PyKMIP itself cannot carry out (bad arguments: DRIVER_ERROR; an error
inside PyKMIP, such as an attribute it cannot decode: CLIENT_ERROR) fails alone.

Operations (arguments; values returned):
    create {algorithm: AES|HMAC_SHA256|..., length, name?, usage?: [ENCRYPT, ...]} -> uid
    create_key_pair {algorithm: RSA|EC, length, name?, public_usage?, private_usage?} -> public_uid, private_uid
    register {algorithm, length, key, name?, usage?} -> uid
    locate {name?, object_type?, algorithm?, length?, state?, maximum_items?, offset_items?} -> uids
    get {uid} -> object_type, key, format, algorithm, length
    get_attributes {uid, names?} -> uid, attributes {name: value or [values]}
    activate {uid}; revoke {uid, reason?, message?}; destroy {uid}
    encrypt {uid, data, gcm?, aad?, version?} -> data, iv, tag
    decrypt {uid, data, iv?, tag?, aad?, gcm?, version?} -> data
    sign {uid, data, algorithm} -> signature      (algorithm: SHA256_WITH_RSA_ENCRYPTION, ECDSA_WITH_SHA256,
    signature_verify {uid, data, signature, algorithm} -> valid      RSASSA_PSS+SHA_256, ...)
    mac {uid, data, algorithm} -> mac
    discover_versions {versions?: ["1.4", ...]} -> versions
    query -> operations, object_types, vendor
    signal {path}: creates the file; wait {path, timeout?}: waits until the file exists (the test acts between)

Only the standard library and kmip are used. GCM goes through proxy.send_request_payload at KMIP 1.4: the
client's own encrypt drops the tag and its decrypt has no tag argument (platform-notes P22).
"""

import argparse
import base64
import enum
import json
import logging
import os
import re
import ssl
import sys
import tempfile
import time
import warnings

warnings.simplefilter("ignore")   # the cryptography package's deprecation notes for Blowfish, CAST5, IDEA

from kmip.core import enums  # noqa: E402
from kmip.core import exceptions as core_exceptions  # noqa: E402
from kmip.core import objects as cobjects  # noqa: E402
from kmip.core.attributes import CryptographicParameters  # noqa: E402
from kmip.core.factories import attributes as attribute_factories  # noqa: E402
from kmip.core.messages import payloads  # noqa: E402
from kmip.pie import client as pie_client  # noqa: E402
from kmip.pie import exceptions as pie_exceptions  # noqa: E402
from kmip.pie import objects as pie_objects  # noqa: E402
from kmip.services.kmip_protocol import RequestLengthMismatch  # noqa: E402

LOCAL_STEPS = ("signal", "wait")
REFERENCE = re.compile(r"^\$(\d+)\.([A-Za-z_]+)(?:\[(\d+)\])?$")
NETWORK_ERRORS = (OSError, EOFError, RequestLengthMismatch)   # ssl.SSLError and socket.timeout are OSErrors
VERSIONS = {
    "1.0": enums.KMIPVersion.KMIP_1_0, "1.1": enums.KMIPVersion.KMIP_1_1, "1.2": enums.KMIPVersion.KMIP_1_2,
    "1.3": enums.KMIPVersion.KMIP_1_3, "1.4": enums.KMIPVersion.KMIP_1_4, "2.0": enums.KMIPVersion.KMIP_2_0,
}
ATTRIBUTES = attribute_factories.AttributeFactory()


class StepError(Exception):
    """A step the driver could not build (bad arguments): reported as that step's failure."""


class ConnectionLost(Exception):
    """The session's connection failed: the server closed it, reset it, or the TLS layer raised."""

    def __init__(self, error):
        super().__init__(describe(error))
        self.error = error


def describe(error):
    return "{0}: {1}".format(type(error).__name__, error)


def b64(data):
    return None if data is None else base64.b64encode(bytes(data)).decode("ascii")


def unb64(text, field):
    if text is None:
        return None
    try:
        return base64.b64decode(text, validate=True)
    except (ValueError, TypeError) as e:
        raise StepError("{0} is not base64: {1}".format(field, e))


def enum_value(enum_type, name, field):
    if isinstance(name, enum_type):
        return name
    for candidate in (str(name), str(name).upper()):   # PaddingMethod has mixed-case names (PKCS1v15)
        if candidate in enum_type.__members__:
            return enum_type[candidate]
    else:
        raise StepError("{0}: {1} is not a {2} name".format(field, name, enum_type.__name__))


def plain(value):
    """A PyKMIP value (enum, primitive, struct, list) as JSON."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, enum.Enum):
        return value.name
    if isinstance(value, (bytes, bytearray)):
        return b64(value)
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if hasattr(value, "name_value"):            # Name
        return plain(value.name_value)
    if hasattr(value, "major") and hasattr(value, "minor"):   # ProtocolVersion
        return "{0}.{1}".format(value.major, value.minor)
    if hasattr(value, "value"):                 # every primitive
        return plain(value.value)
    return str(value)


def resolve(value, results):
    """Replaces "$N.field[i]" references by earlier results' values."""
    if isinstance(value, str):
        match = REFERENCE.match(value)
        if not match:
            return value
        index, field, item = int(match.group(1)), match.group(2), match.group(3)
        if index >= len(results) or field not in results[index]:
            raise StepError("reference {0} names no value of an earlier step".format(value))
        found = results[index][field]
        if item is not None:
            if not isinstance(found, list) or int(item) >= len(found):
                raise StepError("reference {0} has no item {1}".format(value, item))
            found = found[int(item)]
        return found
    if isinstance(value, list):
        return [resolve(v, results) for v in value]
    if isinstance(value, dict):
        return {k: resolve(v, results) for k, v in value.items()}
    return value


def usage_masks(names, field):
    return [enum_value(enums.CryptographicUsageMask, n, field) for n in names]


def default_usage(algorithm):
    if algorithm.name.startswith("HMAC"):
        return [enums.CryptographicUsageMask.MAC_GENERATE, enums.CryptographicUsageMask.MAC_VERIFY]
    return [enums.CryptographicUsageMask.ENCRYPT, enums.CryptographicUsageMask.DECRYPT]


def signature_parameters(algorithm):
    """"SHA256_WITH_RSA_ENCRYPTION", "RSASSA_PSS+SHA_256" (digital signature algorithm + hashing algorithm),
    or a dict of CryptographicParameters field names to enum names."""
    if isinstance(algorithm, dict):
        kinds = {
            "digital_signature_algorithm": enums.DigitalSignatureAlgorithm,
            "cryptographic_algorithm": enums.CryptographicAlgorithm,
            "hashing_algorithm": enums.HashingAlgorithm,
            "padding_method": enums.PaddingMethod,
        }
        unknown = [k for k in algorithm if k not in kinds]
        if unknown:
            raise StepError("algorithm has unknown fields {0}".format(unknown))
        return {k: enum_value(kinds[k], v, k) for k, v in algorithm.items()}
    if not isinstance(algorithm, str):
        raise StepError("algorithm is required")
    signature, _, hashing = algorithm.partition("+")
    parameters = {"digital_signature_algorithm": enum_value(enums.DigitalSignatureAlgorithm, signature, "algorithm")}
    if hashing:
        parameters["hashing_algorithm"] = enum_value(enums.HashingAlgorithm, hashing, "algorithm")
    return parameters


class Driver:
    def __init__(self, client):
        self.client = client

    # ---- lifecycle and objects -------------------------------------------------------------------------------

    def create(self, step):
        algorithm = enum_value(enums.CryptographicAlgorithm, step.get("algorithm"), "algorithm")
        masks = usage_masks(step["usage"], "usage") if "usage" in step else default_usage(algorithm)
        # Built here rather than with client.create(), which always adds Encrypt and Decrypt (wrong for HMAC).
        attributes = [
            ATTRIBUTES.create_attribute(enums.AttributeType.CRYPTOGRAPHIC_ALGORITHM, algorithm),
            ATTRIBUTES.create_attribute(enums.AttributeType.CRYPTOGRAPHIC_LENGTH, int(step["length"])),
            ATTRIBUTES.create_attribute(enums.AttributeType.CRYPTOGRAPHIC_USAGE_MASK, masks),
        ]
        if step.get("name"):
            attributes.append(ATTRIBUTES.create_attribute(enums.AttributeType.NAME, step["name"]))
        result = self.client.proxy.create(enums.ObjectType.SYMMETRIC_KEY, cobjects.TemplateAttribute(attributes=attributes))
        check(result)
        return {"uid": result.uuid}

    def create_key_pair(self, step):
        algorithm = enum_value(enums.CryptographicAlgorithm, step.get("algorithm"), "algorithm")
        name = step.get("name")
        signing = algorithm in (enums.CryptographicAlgorithm.EC, enums.CryptographicAlgorithm.ECDSA)
        private_usage = step.get("private_usage") or (["SIGN"] if signing else ["SIGN", "DECRYPT"])
        public_usage = step.get("public_usage") or (["VERIFY"] if signing else ["VERIFY", "ENCRYPT"])
        # A key pair without usage masks is refused by PyKMIP's own server, so both are always sent.
        public_uid, private_uid = self.client.create_key_pair(
            algorithm, int(step["length"]),
            public_name=(name + "-public") if name else None,
            public_usage_mask=usage_masks(public_usage, "public_usage"),
            private_name=name,
            private_usage_mask=usage_masks(private_usage, "private_usage"))
        return {"public_uid": public_uid, "private_uid": private_uid}

    def register(self, step):
        algorithm = enum_value(enums.CryptographicAlgorithm, step.get("algorithm"), "algorithm")
        key = unb64(step.get("key"), "key")
        masks = usage_masks(step["usage"], "usage") if "usage" in step else default_usage(algorithm)
        length = int(step.get("length") or len(key) * 8)
        symmetric = pie_objects.SymmetricKey(algorithm, length, key, masks=masks, name=step.get("name") or "Symmetric Key")
        return {"uid": self.client.register(symmetric)}

    def locate(self, step):
        attributes = []
        if step.get("name") is not None:
            attributes.append(ATTRIBUTES.create_attribute(enums.AttributeType.NAME, step["name"]))
        if step.get("object_type") is not None:
            attributes.append(ATTRIBUTES.create_attribute(
                enums.AttributeType.OBJECT_TYPE, enum_value(enums.ObjectType, step["object_type"], "object_type")))
        if step.get("algorithm") is not None:
            attributes.append(ATTRIBUTES.create_attribute(
                enums.AttributeType.CRYPTOGRAPHIC_ALGORITHM,
                enum_value(enums.CryptographicAlgorithm, step["algorithm"], "algorithm")))
        if step.get("length") is not None:
            attributes.append(ATTRIBUTES.create_attribute(enums.AttributeType.CRYPTOGRAPHIC_LENGTH, int(step["length"])))
        if step.get("state") is not None:
            attributes.append(ATTRIBUTES.create_attribute(
                enums.AttributeType.STATE, enum_value(enums.State, step["state"], "state")))
        uids = self.client.locate(
            maximum_items=step.get("maximum_items"), offset_items=step.get("offset_items"),
            attributes=attributes or None)
        return {"uids": list(uids or [])}

    def get(self, step):
        managed = self.client.get(step["uid"])
        result = {"object_type": plain(managed.object_type)}
        for field, attribute in (("key", "value"), ("format", "key_format_type"),
                                 ("algorithm", "cryptographic_algorithm"), ("length", "cryptographic_length")):
            if hasattr(managed, attribute):
                result[field] = b64(getattr(managed, attribute)) if field == "key" else plain(getattr(managed, attribute))
        return result

    def get_attributes(self, step):
        uid, attributes = self.client.get_attributes(step["uid"], step.get("names"))
        values = {}
        for attribute in attributes or []:
            name = attribute.attribute_name.value
            value = plain(attribute.attribute_value)
            if name in values:
                values[name] = (values[name] if isinstance(values[name], list) else [values[name]]) + [value]
            else:
                values[name] = value
        return {"uid": uid, "attributes": values}

    def activate(self, step):
        self.client.activate(step["uid"])
        return {}

    def revoke(self, step):
        reason = enum_value(enums.RevocationReasonCode, step.get("reason") or "CESSATION_OF_OPERATION", "reason")
        self.client.revoke(reason, step["uid"], revocation_message=step.get("message"))
        return {}

    def destroy(self, step):
        self.client.destroy(step["uid"])
        return {}

    # ---- cryptography ----------------------------------------------------------------------------------------

    def encrypt(self, step):
        data = unb64(step.get("data"), "data")
        if not step.get("gcm"):
            encrypted, iv = self.client.encrypt(data, step["uid"])
            return {"data": b64(encrypted), "iv": b64(iv), "tag": None}
        payload = payloads.EncryptRequestPayload(
            unique_identifier=step["uid"], cryptographic_parameters=gcm_parameters(encrypting=True), data=data,
            auth_additional_data=unb64(step.get("aad"), "aad"))
        response = self.at_version(step.get("version", "1.4"),
                                   lambda: self.client.proxy.send_request_payload(enums.Operation.ENCRYPT, payload))
        return {"data": b64(response.data), "iv": b64(response.iv_counter_nonce), "tag": b64(response.auth_tag)}

    def decrypt(self, step):
        data = unb64(step.get("data"), "data")
        iv = unb64(step.get("iv"), "iv")
        tag = unb64(step.get("tag"), "tag")
        if not (step.get("gcm") or tag is not None or step.get("aad") is not None):
            decrypted = self.client.decrypt(data, step["uid"], iv_counter_nonce=iv)
            return {"data": b64(decrypted)}
        payload = payloads.DecryptRequestPayload(
            unique_identifier=step["uid"], cryptographic_parameters=gcm_parameters(encrypting=False), data=data,
            iv_counter_nonce=iv, auth_additional_data=unb64(step.get("aad"), "aad"), auth_tag=tag)
        response = self.at_version(step.get("version", "1.4"),
                                   lambda: self.client.proxy.send_request_payload(enums.Operation.DECRYPT, payload))
        return {"data": b64(response.data)}

    def sign(self, step):
        signature = self.client.sign(unb64(step.get("data"), "data"), step["uid"], signature_parameters(step.get("algorithm")))
        return {"signature": b64(signature)}

    def signature_verify(self, step):
        validity = self.client.signature_verify(
            unb64(step.get("data"), "data"), unb64(step.get("signature"), "signature"), step["uid"],
            signature_parameters(step.get("algorithm")))
        return {"valid": validity == enums.ValidityIndicator.VALID, "validity": plain(validity)}

    def mac(self, step):
        algorithm = enum_value(enums.CryptographicAlgorithm, step.get("algorithm") or "HMAC_SHA256", "algorithm")
        uid, mac = self.client.mac(unb64(step.get("data"), "data"), step["uid"], algorithm)
        return {"uid": uid, "mac": b64(mac)}

    # ---- server information ----------------------------------------------------------------------------------

    def discover_versions(self, step):
        versions = None
        if step.get("versions"):
            versions = []
            for text in step["versions"]:
                major, _, minor = str(text).partition(".")
                versions.append(cobjects.ProtocolVersion(int(major), int(minor or 0)))
        result = self.client.proxy.discover_versions(protocol_versions=versions)
        check(result)
        return {"versions": [plain(v) for v in result.protocol_versions or []]}

    def query(self, step):
        functions = [enums.QueryFunction.QUERY_OPERATIONS, enums.QueryFunction.QUERY_OBJECTS,
                     enums.QueryFunction.QUERY_SERVER_INFORMATION]
        result = self.client.proxy.query(query_functions=functions)
        check(result)
        return {"operations": plain(result.operations or []), "object_types": plain(result.object_types or []),
                "vendor": plain(result.vendor_identification)}

    # ---- coordination with the test --------------------------------------------------------------------------

    def signal(self, step):
        with open(step["path"], "w") as marker:
            marker.write("ready\n")
        return {}

    def wait(self, step):
        deadline = time.monotonic() + float(step.get("timeout", 30))
        while not os.path.exists(step["path"]):
            if time.monotonic() > deadline:
                raise StepError("{0} did not appear in time".format(step["path"]))
            time.sleep(0.05)
        return {}

    # ----------------------------------------------------------------------------------------------------------

    def at_version(self, version, call):
        """Runs a request at another KMIP version (the session's default is PyKMIP's 1.2)."""
        if version not in VERSIONS:
            raise StepError("version {0} is not one of {1}".format(version, sorted(VERSIONS)))
        previous = self.client.proxy.kmip_version
        self.client.proxy.kmip_version = VERSIONS[version]
        try:
            return call()
        finally:
            self.client.proxy.kmip_version = previous


def gcm_parameters(encrypting):
    # Random IV: the server makes the 12-byte IV (a client-supplied one is refused); the tag is 16 bytes.
    return CryptographicParameters(
        block_cipher_mode=enums.BlockCipherMode.GCM, cryptographic_algorithm=enums.CryptographicAlgorithm.AES,
        random_iv=True if encrypting else None, tag_length=16)


def check(result):
    """The proxy-level calls return a result object instead of raising; raise like the pie client does."""
    status = result.result_status.value
    if status != enums.ResultStatus.SUCCESS:
        reason = result.result_reason.value if result.result_reason is not None else None
        message = result.result_message.value if result.result_message is not None else None
        raise pie_exceptions.KmipOperationFailure(status, reason, message)


def failure(status, reason, message):
    return {"ok": False, "status": plain(status), "reason": plain(reason), "message": plain(message)}


def run_step(driver, step):
    """One step's result; ConnectionLost when the session's connection failed."""
    operation = step.get("op")
    handler = getattr(driver, operation, None) if isinstance(operation, str) and not operation.startswith("_") else None
    if handler is None or operation == "at_version":
        return failure("DRIVER_ERROR", None, "unknown op {0!r}".format(operation))
    try:
        values = handler(step)
        return dict({"ok": True}, **values)
    except pie_exceptions.KmipOperationFailure as e:
        return failure(e.status, e.reason, e.message)
    except core_exceptions.KmipError as e:   # OperationFailure from send_request_payload keeps its message as str()
        return failure(e.status, e.reason, str(e))
    except NETWORK_ERRORS as e:
        raise ConnectionLost(e)
    except (StepError, KeyError, TypeError, ValueError) as e:
        return failure("DRIVER_ERROR", None, describe(e))
    except Exception as e:   # noqa: BLE001 - PyKMIP itself failed, e.g. NotImplementedError decoding an attribute
        return failure("CLIENT_ERROR", None, describe(e))


def is_tls_refusal(error):
    """A refusal during or right after the handshake: a TLS alert, or the server resetting or closing the
    connection before it answered anything (with TLS 1.3 the client learns of it only when it reads)."""
    return isinstance(error, (ssl.SSLError, ConnectionResetError, BrokenPipeError, EOFError, RequestLengthMismatch))


def connect_error(error):
    print(json.dumps({"connectError": describe(error), "tls": is_tls_refusal(error)}))
    sys.exit(2)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--cert", required=True)
    parser.add_argument("--key", required=True)
    parser.add_argument("--ca", required=True)
    parser.add_argument("--timeout", type=int, default=30)
    arguments = parser.parse_args()
    logging.disable(logging.CRITICAL)   # PyKMIP logs connection errors itself; the result says it all

    steps = json.load(sys.stdin)
    if not isinstance(steps, list):
        print(json.dumps({"connectError": "stdin must be a JSON array of steps", "tls": False}))
        sys.exit(2)

    # An empty configuration file and a section nobody has: PyKMIP fills missing settings silently from
    # ~/.pykmip/pykmip.conf or /etc/pykmip/pykmip.conf otherwise (platform-notes P22).
    with tempfile.NamedTemporaryFile("w", suffix=".conf") as empty_config:
        client = pie_client.ProxyKmipClient(
            hostname=arguments.host, port=arguments.port, cert=arguments.cert, key=arguments.key, ca=arguments.ca,
            ssl_version="PROTOCOL_TLS", config="kmip-driver", config_file=empty_config.name)
        client.proxy.timeout = arguments.timeout
        try:
            client.open()
        except Exception as e:   # noqa: BLE001 - every failure to open is a connect error
            connect_error(e)

        results = []
        answered = False   # whether the server has answered anything on this session yet
        lost = None
        for step in steps:
            if lost is not None:
                results.append(failure("NOT_RUN", None, "the connection was lost at an earlier step"))
                continue
            try:
                result = run_step(Driver(client), resolve(step, results) if isinstance(step, dict) else {})
            except StepError as e:
                result = failure("DRIVER_ERROR", None, str(e))
            except ConnectionLost as e:
                if not answered:
                    connect_error(e.error)   # the session never worked: a refusal, not a lost connection
                lost = e
                result = failure("CONNECTION_LOST", None, str(e))
            talked = isinstance(step, dict) and step.get("op") not in LOCAL_STEPS
            answered = answered or (talked and result.get("status") != "DRIVER_ERROR")
            results.append(result)
        try:
            client.close()
        except Exception:   # noqa: BLE001 - closing a connection the server already closed
            pass
    print(json.dumps(results))


if __name__ == "__main__":
    main()
