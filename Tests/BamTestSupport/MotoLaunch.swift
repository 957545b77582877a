/// How the tests start moto_server.
///
/// moto 5 verifies signatures against the URL as Werkzeug rebuilds it, with
/// `%2F`, `%2B`, `%26`, `%3D`, `%25` and non-ASCII bytes decoded, so it
/// rejects correctly signed requests for such keys and prefixes (boto3's
/// too). `rawURIPatch` is a python program that runs moto_server's main
/// (its arguments after `-c PROGRAM`) after making the check use the raw
/// request URI (Werkzeug's RAW_URI), as AWS does.
public enum MotoLaunch {
    public static let rawURIPatch = """
        import sys
        from moto.core.authorization import ActionAuthenticatorMixin as M
        _check = M._authenticate_and_authorize_action
        def _check_raw_uri(self, iam_request_cls, resource="*"):
            environ = getattr(getattr(self, "request", None), "environ", None) or {}
            raw = environ.get("RAW_URI") or environ.get("REQUEST_URI")
            if not (raw and raw.startswith("/")):
                return _check(self, iam_request_cls, resource)
            decoded = self.uri
            self.uri = "http://" + environ.get("HTTP_HOST", "localhost") + raw
            try:
                return _check(self, iam_request_cls, resource)
            finally:
                self.uri = decoded
        M._authenticate_and_authorize_action = _check_raw_uri
        from moto.server import main
        main(sys.argv[1:])
        """
}
