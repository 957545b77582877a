/// The retry loop every network backend runs a transfer in: up to
/// `maxAttempts` tries, again after an answer `retryAnswer` calls passing
/// (a 503) or an error `retryError` calls passing (a reset connection),
/// with the backend's own `backoff` between tries. The last answer is
/// returned whatever it says; the last error goes to `fail` with the
/// number of tries, for the message users see. Errors of other types than
/// `Failure` pass through untouched.
enum TransferRetry {
    static func run<Answer, Failure: Error>(
        maxAttempts: Int, backoff: (Int) -> Void, retryAnswer: (Answer) -> Bool = { _ in false },
        retryError: (Failure) -> Bool, fail: (Failure, Int) -> Error, _ send: () throws -> Answer
    ) throws -> Answer {
        let limit = max(1, maxAttempts)
        var attempt = 0
        while true {
            attempt += 1
            do {
                let answer = try send()
                if attempt < limit && retryAnswer(answer) {
                    backoff(attempt)
                    continue
                }
                return answer
            } catch let error as Failure {
                if attempt < limit && retryError(error) {
                    backoff(attempt)
                    continue
                }
                throw fail(error, attempt)
            }
        }
    }
}
