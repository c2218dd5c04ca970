import ArgumentParser
import DSVDataset
import DSVStorage

/// Exit codes of SPEC §8.
enum ExitStatus {
    static let problemsFound: Int32 = 1
    static let usage: Int32 = 2
    static let badInput: Int32 = 65
    static let unavailable: Int32 = 69
    static let ioError: Int32 = 74
    static let lockBusy: Int32 = 75
    static let refusedCredentials: Int32 = 77
}

/// One message and one exit code for each error a library layer can throw.
struct CLIFailure {
    let message: String
    let exitCode: Int32

    init(_ error: Error) {
        switch error {
        case let error as RepositoryError:
            message = error.description
            switch error {
            case .locked: exitCode = ExitStatus.lockBusy
            case .io: exitCode = ExitStatus.ioError
            case .notARepository, .alreadyExists, .unknownRevision, .noCommonHistory, .unknownSubset, .noVersions, .invalidName, .nameTaken:
                exitCode = ExitStatus.usage
            case .concurrentUpdate, .referenceLocked: exitCode = ExitStatus.lockBusy
            case .corruptVersion, .git: exitCode = ExitStatus.badInput
            }
        case let error as S3Error:
            message = error.description
            switch error {
            case .unavailable: exitCode = ExitStatus.unavailable
            case .service: exitCode = ExitStatus.unavailable
            case .configuration: exitCode = ExitStatus.usage
            case .local: exitCode = ExitStatus.ioError
            }
        case let error as CommitError:
            message = error.description
            switch error {
            case .input: exitCode = ExitStatus.badInput
            case .repository(let inner): exitCode = CLIFailure(inner).exitCode
            case .compression: exitCode = ExitStatus.ioError
            case .s3(let inner): exitCode = CLIFailure(inner).exitCode
            case .missingObjects: exitCode = ExitStatus.badInput
            case .archive: exitCode = ExitStatus.badInput
            case .usage: exitCode = ExitStatus.usage
            case .cvat(let inner): exitCode = CLIFailure(inner).exitCode
            }
        case let error as CVATError:
            message = error.description
            switch error {
            case .notALocation, .noPassword: exitCode = ExitStatus.usage
            case .refused: exitCode = ExitStatus.refusedCredentials
            case .notFound, .noJobs, .notAnExport, .badSubset: exitCode = ExitStatus.badInput
            case .exportFailed, .timedOut, .unavailable, .unexpected: exitCode = ExitStatus.unavailable
            case .local: exitCode = ExitStatus.ioError
            case .afterExports(let inner, _): exitCode = CLIFailure(inner).exitCode
            }
        case let error as CheckoutError:
            message = error.description
            switch error {
            case .repository(let inner): exitCode = CLIFailure(inner).exitCode
            case .io: exitCode = ExitStatus.ioError
            case .subsetRequired: exitCode = ExitStatus.usage
            case .output(.outside), .unsafeLayout: exitCode = ExitStatus.badInput
            case .output(.io): exitCode = ExitStatus.ioError
            }
        case let error as VerifyOperation.Failure:
            message = error.description
            switch error {
            case .noPrefix: exitCode = ExitStatus.usage
            case .s3(let inner): exitCode = CLIFailure(inner).exitCode
            case .repository(let inner): exitCode = CLIFailure(inner).exitCode
            }
        case let error as MaterializeOperation.Failure:
            message = error.description
            switch error {
            case .noPrefix: exitCode = ExitStatus.usage
            case .output(.outside): exitCode = ExitStatus.badInput
            case .output(.io), .cache: exitCode = ExitStatus.ioError
            case .s3(let inner): exitCode = CLIFailure(inner).exitCode
            case .repository(let inner): exitCode = CLIFailure(inner).exitCode
            }
        case let error as TrainingCheckout.Failure:
            message = error.description
            switch error {
            case .checkout(let inner): exitCode = CLIFailure(inner).exitCode
            case .materialize(let inner): exitCode = CLIFailure(inner).exitCode
            case .zip: exitCode = ExitStatus.ioError
            }
        case let error as SharingError:
            message = error.description
            switch error {
            case .unknownRemote, .noRemoteBranch: exitCode = ExitStatus.usage
            case .pushRejected, .diverged: exitCode = ExitStatus.problemsFound
            case .transport: exitCode = ExitStatus.unavailable
            case .repository(let inner): exitCode = CLIFailure(inner).exitCode
            }
        case let error as SystemError:
            message = error.description
            exitCode = ExitStatus.ioError
        case let error as ValidationError:
            message = error.message
            exitCode = ExitStatus.usage
        case let error as CustomStringConvertible:
            message = error.description
            exitCode = ExitStatus.badInput
        default:
            message = "\(error)"
            exitCode = ExitStatus.badInput
        }
    }
}
