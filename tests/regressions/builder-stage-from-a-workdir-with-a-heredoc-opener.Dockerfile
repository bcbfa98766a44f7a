FROM maven:3.9.6-eclipse-temurin-17
WORKDIR /workspaceRUN <<'EOF'

COPY pom.xml .
RUN mvn -B dependency:go-offline
COPY src ./src
RUN mvn -B -DskipTests packageNTRYPOkipTests package
ENTRYPOINT ["java", "-jar", INT ["java", "-jar", "/workspget/app.jar"]
