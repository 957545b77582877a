import Foundation
@testable import BamEngine

/// The schema the MySQL tests back up: foreign keys, a trigger, a view over
/// a stored function, a procedure, an event, blobs with every byte value,
/// NULLs, 4-byte UTF-8, a user with grants, and a table of 100,000 rows.
enum MySQLFixtures {
    static let shop = #"""
        CREATE DATABASE shop CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
        USE shop;
        CREATE TABLE customers (id INT PRIMARY KEY AUTO_INCREMENT, name VARCHAR(100) NOT NULL, note TEXT NULL, photo BLOB NULL) ENGINE=InnoDB;
        CREATE TABLE orders (id INT PRIMARY KEY AUTO_INCREMENT, customer_id INT NOT NULL, total DECIMAL(10,2),
            created DATETIME NOT NULL DEFAULT '2026-01-01 00:00:00',
            FOREIGN KEY (customer_id) REFERENCES customers(id)) ENGINE=InnoDB;
        CREATE TABLE audit (id INT PRIMARY KEY AUTO_INCREMENT, msg VARCHAR(200) COMMENT 'wrote by the trigger; ünïcode');
        INSERT INTO customers VALUES (1,'Zoë 😀 名前','line1\nline2;\ttab\r\n\\ end',0x00FF0A0D27225C1A), (2,'Bob',NULL,NULL), (3,'',  '', '');
        INSERT INTO customers (id, name, photo) SELECT 10, 'all bytes', UNHEX(CONCAT(
            '000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F',
            '202122232425262728292A2B2C2D2E2F303132333435363738393A3B3C3D3E3F',
            '404142434445464748494A4B4C4D4E4F505152535455565758595A5B5C5D5E5F',
            '606162636465666768696A6B6C6D6E6F707172737475767778797A7B7C7D7E7F',
            '808182838485868788898A8B8C8D8E8F909192939495969798999A9B9C9D9E9F',
            'A0A1A2A3A4A5A6A7A8A9AAABACADAEAFB0B1B2B3B4B5B6B7B8B9BABBBCBDBEBF',
            'C0C1C2C3C4C5C6C7C8C9CACBCCCDCECFD0D1D2D3D4D5D6D7D8D9DADBDCDDDEDF',
            'E0E1E2E3E4E5E6E7E8E9EAEBECEDEEEFF0F1F2F3F4F5F6F7F8F9FAFBFCFDFEFF'));
        INSERT INTO orders (customer_id,total) VALUES (1, 9.99),(2,NULL),(10, 100.50);
        DELIMITER ;;
        CREATE TRIGGER orders_ai AFTER INSERT ON orders FOR EACH ROW BEGIN INSERT INTO audit(msg) VALUES (CONCAT('order ', NEW.id)); END;;
        CREATE PROCEDURE add_order(IN c INT, IN t DECIMAL(10,2))
        BEGIN
          -- a comment; with a semicolon
          INSERT INTO orders (customer_id,total) VALUES (c, t);
        END;;
        CREATE FUNCTION double_it(x INT) RETURNS INT DETERMINISTIC RETURN x*2;;
        DELIMITER ;
        CREATE VIEW big_orders AS SELECT o.id, c.name, double_it(o.id) d FROM orders o JOIN customers c ON c.id=o.customer_id WHERE o.total > 5;
        CREATE EVENT nightly ON SCHEDULE EVERY 1 DAY STARTS '2030-01-01 00:00:00' DO DELETE FROM audit WHERE id < 0;
        CREATE TABLE numbers (n INT PRIMARY KEY, label VARCHAR(40), payload VARBINARY(16));
        INSERT INTO numbers SELECT seq, CONCAT('row ', seq, ' – ñ'), UNHEX(MD5(seq)) FROM seq_1_to_100000;
        CREATE USER 'app'@'localhost' IDENTIFIED BY 'app-password';
        GRANT SELECT, INSERT ON shop.* TO 'app'@'localhost';
        GRANT EXECUTE ON PROCEDURE shop.add_order TO 'app'@'localhost';
        CREATE DATABASE `odd name-db`;
        CREATE TABLE `odd name-db`.`tab``le` (`col umn` INT PRIMARY KEY);
        INSERT INTO `odd name-db`.`tab``le` VALUES (1),(2);
        """#
}
