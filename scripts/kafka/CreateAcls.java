// Creates the ACLs of the secured test broker (scripts/services.sh up --secure) with Kafka's own Admin
// client, so no tools jar beyond the broker's is needed. Run as a single-file source program:
//   java -cp '<kafka libs>/*' CreateAcls.java admin.properties acls.txt
// acls.txt: one ALLOW rule per line, "PRINCIPAL OPERATION RESOURCE_TYPE PATTERN_TYPE NAME", e.g.
//   User:screening READ TOPIC PREFIXED screening.orders.
// Creating a binding that exists already is a no-op, so the program can run again after a change.

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourceType;

public class CreateAcls {
    public static void main(String[] args) throws Exception {
        Properties props = new Properties();
        try (InputStream in = Files.newInputStream(Path.of(args[0]))) {
            props.load(in);
        }
        List<AclBinding> bindings = new ArrayList<>();
        for (String raw : Files.readAllLines(Path.of(args[1]))) {
            String line = raw.strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            String[] f = line.split("\\s+");
            if (f.length != 5) {
                throw new IllegalArgumentException("bad ACL line: " + line);
            }
            ResourcePattern resource =
                    new ResourcePattern(ResourceType.fromString(f[2]), f[4], PatternType.fromString(f[3]));
            AclOperation operation = AclOperation.fromString(f[1]);
            if (resource.resourceType() == ResourceType.UNKNOWN || operation == AclOperation.UNKNOWN
                    || resource.patternType() == PatternType.UNKNOWN) {
                throw new IllegalArgumentException("unknown operation, resource or pattern type: " + line);
            }
            bindings.add(new AclBinding(resource,
                    new AccessControlEntry(f[0], "*", operation, AclPermissionType.ALLOW)));
        }
        try (Admin admin = Admin.create(props)) {
            admin.createAcls(bindings).all().get();
        }
        System.out.println("created " + bindings.size() + " ACL bindings");
    }
}
