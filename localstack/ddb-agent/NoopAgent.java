// No-op Java agent. LocalStack always starts DynamoDB Local with
// -javaagent:<install dir>/ddb-local-loader-0.1.jar (its real agent, downloaded
// from GitHub, only lifts the 20-GSI limit). Downloads are impossible here, and
// a missing agent jar makes the JVM refuse to start, so setup.sh builds this
// empty agent under that name instead.
package portale.localstack;

import java.lang.instrument.Instrumentation;

public final class NoopAgent {
    private NoopAgent() {}

    public static void premain(String args, Instrumentation inst) {}
}
